//! `/metrics`: the Prometheus text of one instance counts what it answered.

use crate::helpers::{on_both_engines, post_json, seed_org, spawn_app, web_submission};

fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .split(' ')
            .next()?
            .parse()
            .ok()
    })
}

on_both_engines! {
    async fn metrics_count_requests_submissions_and_the_pool(engine) {
        let app = spawn_app(engine).await;
        seed_org(&mut app.conn());
        let url = format!("{}/api/v1/responses", app.address);
        for key in ["metrics-test-00001", "metrics-test-00002", "metrics-test-00003"] {
            assert_eq!(post_json(&app.client, &url, &web_submission(key, 4)).await.status(), 201);
        }
        // A kiosk's retry: recognised, not stored again.
        assert_eq!(post_json(&app.client, &url, &web_submission("metrics-test-00002", 4)).await.status(), 200);
        assert_eq!(app.get("/no/such/page/12345").await.status(), 404);

        let res = app.get("/metrics").await;
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
        let text = res.text().await.unwrap();
        assert!(text.trim_end().ends_with("# EOF"), "{text}");
        assert_eq!(value(&text, "manyi_submissions_total{outcome=\"new\"}"), Some(3.0), "{text}");
        assert_eq!(value(&text, "manyi_submissions_total{outcome=\"retry\"}"), Some(1.0));
        let route = "route=\"/api/v1/responses\"";
        assert_eq!(value(&text, &format!("manyi_http_requests_total{{method=\"POST\",{route},status=\"201\"}}")), Some(3.0), "{text}");
        assert_eq!(value(&text, &format!("manyi_http_requests_total{{method=\"POST\",{route},status=\"200\"}}")), Some(1.0));
        assert_eq!(value(&text, &format!("manyi_http_request_duration_seconds_count{{{route}}}")), Some(4.0));
        // Paths are never labels: an unknown address counts as "unmatched".
        assert_eq!(value(&text, "manyi_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"), Some(1.0), "{text}");
        assert!(!text.contains("12345"));
        let max = value(&text, "manyi_db_pool_max_connections").unwrap();
        let open = value(&text, "manyi_db_pool_connections").unwrap();
        assert!(max >= 1.0 && open >= 1.0 && open <= max, "{open} of {max}");
        assert!(value(&text, "manyi_snapshot_age_seconds").is_some());
    }
}
