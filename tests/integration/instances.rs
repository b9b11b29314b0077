//! Two `manyi serve` on one database, as behind a load balancer: a session
//! opened on one works on the other (and ends on both), the same
//! idempotency key sent to both at once is stored once, and a report run
//! started on one is followed and downloaded on the other.

use crate::helpers::{
    Browser, on_both_engines, post_json, response_count, seed_org, spawn_app_with, web_submission,
};

on_both_engines! {
    async fn two_instances_share_sessions_keys_and_reports(engine) {
        let app = spawn_app_with(engine, |s| s.public_rate_per_minute = 10_000).await;
        let org = seed_org(&mut app.conn());
        let second = app.second_instance(|s| s.public_rate_per_minute = 10_000).await;

        // Logged in on the first; the second knows the session and its CSRF token.
        let mut b = Browser::new(&app);
        b.login("dir-js").await;
        b.base = second.clone();
        let res = b.get("/console").await;
        assert_eq!(res.status(), 200, "the second instance knows the session");
        assert!(res.text().await.unwrap().contains("儀表板"));
        let csrf = b.csrf().await;
        // Logged out on the second: the first refuses the session too.
        assert_eq!(b.post("/logout", &[("csrf", &csrf)]).await.status(), 303);
        b.base = app.address.clone();
        let res = b.get("/console").await;
        assert_eq!(res.status(), 303, "the session ended everywhere");
        assert!(res.headers()["location"].to_str().unwrap().starts_with("/login"));

        // The same key to both instances at the same moment, ten times: each
        // stored once, both answers naming the same response.
        for n in 0..10 {
            let key = format!("twin-key-{n:05}");
            let (one, two) = (app.address.clone(), second.clone());
            let (c1, c2) = (app.client.clone(), app.client.clone());
            let (k1, k2) = (key.clone(), key.clone());
            let a = actix_web::rt::spawn(async move {
                let r = post_json(&c1, &format!("{one}/api/v1/responses"), &web_submission(&k1, 4)).await;
                (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap()["response_id"].as_i64())
            });
            let b2 = actix_web::rt::spawn(async move {
                let r = post_json(&c2, &format!("{two}/api/v1/responses"), &web_submission(&k2, 4)).await;
                (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap()["response_id"].as_i64())
            });
            let (a, b2) = (a.await.unwrap(), b2.await.unwrap());
            let mut statuses = [a.0, b2.0];
            statuses.sort_unstable();
            assert_eq!(statuses, [200, 201], "{key}: one stores, the other recognises it");
            assert_eq!(a.1, b2.1, "{key}: both name the same response");
        }
        assert_eq!(response_count(&mut app.conn()), 10);

        // A report started on the first instance, followed and downloaded on
        // the second (runs and files live in the database and the shared
        // reports directory).
        {
            let conn = &mut app.conn();
            let director = crate::helpers::user(conn, "dir-js");
            let mut case = crate::helpers::petition(org.js.id, manyi::cases::CaseChannel::PetitionWritten);
            case.received_on = chrono::NaiveDate::from_ymd_opt(2024, 3, 1).unwrap();
            manyi::cases::register_case(conn, &manyi::calendar::Calendar::shipped(), &case, Some(&director)).unwrap();
        }
        let mut r = Browser::new(&app);
        r.login("res-js").await;
        let csrf = crate::helpers::hidden_csrf(&r.get("/console/reports").await.text().await.unwrap());
        let res = r.post("/console/reports", &[("csrf", &csrf), ("year", "113"), ("scope", "office:JS"), ("html", "on")]).await;
        assert_eq!(res.status(), 303);
        let id: i32 = res.headers()["location"].to_str().unwrap().rsplit("run-").next().unwrap().parse().unwrap();
        r.base = second.clone();
        let status = r.report_run_ended(id).await;
        assert_eq!(status["status"], "done", "{status}");
        let res = r.get(&format!("/console/reports/{id}/files/annual-113-office-JS.html")).await;
        assert_eq!(res.status(), 200, "the second instance serves the first one's file");
        assert!(res.text().await.unwrap().contains("服務滿意度趨勢分析及改善報告"));
    }
}
