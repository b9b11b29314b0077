//! The real app over HTTP, on both engines.

use serde_json::Value;

use crate::helpers::{catalog, on_both_engines, spawn_app};

on_both_engines! {
    async fn forms_are_listed_with_their_versions(engine) {
        let app = spawn_app(engine).await;
        let res = app.get("/api/v1/forms").await;
        assert_eq!(res.status(), 200);
        let body: Value = res.json().await.unwrap();
        let forms = body["forms"].as_array().unwrap();
        let keys: Vec<&str> = forms.iter().map(|f| f["key"].as_str().unwrap()).collect();
        assert_eq!(keys, ["counter", "courtesy-vote", "phone-test", "staff", "web"]);
        let cat = catalog();
        for f in forms {
            let loaded = cat.get(f["key"].as_str().unwrap()).unwrap();
            assert_eq!(f["version"].as_str().unwrap(), loaded.version_hash);
            assert_eq!(f["version"].as_str().unwrap().len(), 64);
            assert!(!f["title"]["zh-TW"].as_str().unwrap().is_empty());
            assert!(!f["title"]["en"].as_str().unwrap().is_empty());
        }
    }

    async fn one_form_in_full(engine) {
        let app = spawn_app(engine).await;
        let body: Value = app.get("/api/v1/forms/counter").await.json().await.unwrap();
        let items = body["form"]["items"].as_array().unwrap();
        assert_eq!(items.len(), 12);
        let texts: Vec<&str> = items.iter().map(|i| i["text"]["zh-TW"].as_str().unwrap()).collect();
        for expected in ["櫃檯人員服務態度", "櫃檯人員辦事效率", "等候時間", "櫃檯人員專業程度",
                         "志工人員服務態度", "處理案件流程規劃", "辦公環境整潔", "動線流暢度"] {
            assert!(texts.iter().any(|t| t.starts_with(expected)), "missing {expected}");
        }
        let overall: Vec<&Value> = items.iter().filter(|i| i["overall"] == true).collect();
        assert_eq!(overall.len(), 1);
        assert_eq!(overall[0]["type"], "likert5");

        let res = app.get("/api/v1/forms/no-such-form").await;
        assert_eq!(res.status(), 404);
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"]["code"], "not_found");
        assert!(err["error"]["message"].as_str().unwrap().contains("no-such-form"));
    }

    async fn pages_and_health(engine) {
        let app = spawn_app(engine).await;
        let res = app.get("/").await;
        assert_eq!(res.status(), 200);
        let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(res.headers()["x-frame-options"], "DENY");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        let html = res.text().await.unwrap();
        // `/` is the citizens' page; the forms and the API are on /developers.
        assert!(html.contains("歡迎提供您對戶政服務的意見") && html.contains("/cases/lookup"));
        assert!(!html.contains("/api/v1/responses"), "no API on the citizens' page");
        let html = app.get("/developers").await.text().await.unwrap();
        assert!(html.contains("臨櫃服務滿意度調查"));
        assert!(html.contains("Counter service satisfaction survey"));
        assert!(html.contains("/api/v1/responses"));
        let html = app.get("/forms/phone-test").await.text().await.unwrap();
        assert!(html.contains("響鈴 3 聲內接聽"), "points levels shown");
        assert_eq!(app.get("/forms/nope").await.status(), 404);
        let health: Value = app.get("/healthz").await.json().await.unwrap();
        assert_eq!(health["status"], "ok");
        let expected = match engine {
            crate::helpers::Engine::Sqlite => "SQLite",
            crate::helpers::Engine::Postgres => "PostgreSQL",
        };
        assert_eq!(health["database"], expected);
        // Readiness at its own address too (the same checks), and liveness.
        let ready = app.get("/healthz/ready").await;
        assert_eq!(ready.status(), 200);
        let ready: Value = ready.json().await.unwrap();
        assert_eq!((ready["status"].as_str(), ready["database"].as_str()), (Some("ok"), Some(expected)));
        assert!(ready["forms"].as_u64().unwrap() >= 1);
        let live: Value = app.get("/healthz/live").await.json().await.unwrap();
        assert_eq!(live["status"], "ok");
        // A migration of this release missing from the database: not ready
        // (503, saying why), while the process stays live.
        {
            use diesel::connection::SimpleConnection;
            let mut conn = app.conn();
            conn.batch_execute(
                "DELETE FROM __diesel_schema_migrations WHERE version = \
                 (SELECT MAX(version) FROM __diesel_schema_migrations)",
            )
            .unwrap();
        }
        let ready = app.get("/healthz/ready").await;
        assert_eq!(ready.status(), 503);
        let ready: Value = ready.json().await.unwrap();
        assert_eq!(ready["reason"], "1 migration(s) not applied");
        assert_eq!(app.get("/healthz/live").await.status(), 200);
        let types: Value = app.get("/api/v1/service-types").await.json().await.unwrap();
        assert_eq!(types["service_types"].as_array().unwrap().len(), 11);
        let err: Value = app.get("/api/v1/unknown").await.json().await.unwrap();
        assert_eq!(err["error"]["code"], "not_found");
        // A connection from the app's pool and one from the test see the same data.
        let mut conn = app.conn();
        assert_eq!(manyi::survey::count_responses(&mut conn).unwrap(), 0);
    }
}
