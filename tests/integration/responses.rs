//! The response API, kiosks, one-time links and alerts over HTTP, on both engines.

use diesel::prelude::*;
use manyi::db::schema::{alerts, form_versions, responses};
use serde_json::{Value, json};

use crate::helpers::{
    Browser, counter_answers, on_both_engines, post_json, response_count, seed_org, spawn_app,
    spawn_app_with, web_submission,
};

on_both_engines! {
    async fn every_bad_input_is_refused_and_nothing_stored(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let url = format!("{}/api/v1/responses", app.address);
        let c = &app.client;
        let good = web_submission("bad-input-000001", 4);
        let with = |f: &dyn Fn(&mut Value)| { let mut v = good.clone(); f(&mut v); v };
        let cases: Vec<(Value, u16, &str)> = vec![
            (with(&|v| { v["answers"]["colour"] = json!(3); }), 400, "answers.colour"),
            (with(&|v| { v["answers"]["online_ease"] = json!(6); }), 400, "answers.online_ease"),
            (with(&|v| { v["answers"]["online_ease"] = json!(0); }), 400, "answers.online_ease"),
            (with(&|v| { v["answers"]["online_ease"] = json!(3.5); }), 400, "answers.online_ease"),
            (with(&|v| { v["answers"]["recommend"] = json!(11); }), 400, "answers.recommend"),
            (with(&|v| { v["answers"]["services_used"] = json!(["teleport"]); }), 400, "answers.services_used"),
            (with(&|v| { v["answers"].as_object_mut().unwrap().remove("overall"); }), 400, "answers.overall"),
            (with(&|v| { v["version"] = json!("0".repeat(64)); }), 400, "version"),
            (with(&|v| { v["form"] = json!("nonexistent"); }), 400, "form"),
            (with(&|v| { v["channel"] = json!("fax"); }), 400, "channel"),
            (with(&|v| { v.as_object_mut().unwrap().remove("office"); }), 400, "office"),
            (with(&|v| { v["office"] = json!("XX"); }), 400, "office"),
            (with(&|v| { v["idempotency_key"] = json!("short"); }), 400, "idempotency_key"),
            (with(&|v| { v.as_object_mut().unwrap().remove("idempotency_key"); }), 400, "idempotency_key"),
            (with(&|v| { v["answered_at"] = json!("2999-01-01T00:00:00Z"); }), 400, "answered_at"),
            (with(&|v| { v["answered_at"] = json!("yesterday"); }), 400, "answered_at"),
            (with(&|v| { v["surprise"] = json!(true); }), 400, "surprise"),
            (with(&|v| { v["form"] = json!("counter"); v["answers"] = counter_answers(4); }), 400, "channel"),
            (with(&|v| { v["channel"] = json!("counter"); }), 403, ""),
        ];
        for (body, status, field) in &cases {
            let res = post_json(c, &url, body).await;
            assert_eq!(res.status().as_u16(), *status, "{field}: {body}");
            let err: Value = res.json().await.unwrap();
            if !field.is_empty() {
                assert_eq!(err["error"]["field"], *field, "{err}");
            }
            assert!(err["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        // Malformed JSON, wrong content type, a body over 64 KiB.
        let res = c.post(&url).header("content-type", "application/json").body("{\"form\": ").send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "body");
        let res = c.post(&url).header("content-type", "text/plain").body(good.to_string()).send().await.unwrap();
        assert_eq!(res.status(), 415);
        let res = c.post(&url).form(&[("form", "web")]).send().await.unwrap();
        assert_eq!(res.status(), 415);
        let mut big = good.clone();
        big["answers"]["comment"] = json!("很".repeat(30_000));
        let res = post_json(c, &url, &big).await;
        assert_eq!(res.status(), 413);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "payload_too_large");
        // A text over the item's own limit (1000 characters) but under 64 KiB.
        let mut long = good.clone();
        long["answers"]["comment"] = json!("很".repeat(1001));
        let res = post_json(c, &url, &long).await;
        assert_eq!(res.status(), 400);
        // A retired version.
        diesel::update(form_versions::table.filter(form_versions::form_key.eq("web")))
            .set(form_versions::retired.eq(true)).execute(&mut conn).unwrap();
        let res = post_json(c, &url, &good).await;
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "version");
        assert_eq!(response_count(&mut conn), 0, "nothing stored on any error");
        let alerts_n: i64 = alerts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(alerts_n, 0);
    }

    async fn web_response_stored_once_per_key(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        let org = seed_org(&mut conn);
        let url = format!("{}/api/v1/responses", app.address);
        let body = web_submission("web-once-0000001", 5);
        let first = post_json(&app.client, &url, &body).await;
        assert_eq!(first.status(), 201);
        let first: Value = first.json().await.unwrap();
        let again = post_json(&app.client, &url, &body).await;
        assert_eq!(again.status(), 200);
        let again: Value = again.json().await.unwrap();
        assert_eq!(again["duplicate"], true);
        assert_eq!(again["response_id"], first["response_id"]);
        let id = first["response_id"].as_i64().unwrap();
        let stored = manyi::survey::load_response(&mut conn, id).unwrap().unwrap();
        assert_eq!(stored.channel, "web");
        assert_eq!(stored.office_id, org.js.id);
        assert_eq!(stored.device_id, None);
        let used = stored.answers.iter().find(|a| a.item_key == "services_used").unwrap();
        assert_eq!(used.choice.as_deref(), Some("booking,e_application"));
        assert_eq!(response_count(&mut conn), 1);
    }

    async fn many_concurrent_retries_store_one(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let url = format!("{}/api/v1/responses", app.address);
        let body = web_submission("same-key-concurrent-01", 4);
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let (client, url, body) = (app.client.clone(), url.clone(), body.clone());
            tasks.push(actix_web::rt::spawn(async move {
                let res = post_json(&client, &url, &body).await;
                let status = res.status().as_u16();
                let v: Value = res.json().await.unwrap();
                (status, v["response_id"].as_i64().unwrap())
            }));
        }
        let mut results = Vec::new();
        for t in tasks { results.push(t.await.unwrap()); }
        assert!(results.iter().all(|r| r.1 == results[0].1), "{results:?}");
        assert_eq!(results.iter().filter(|r| r.0 == 201).count(), 1, "{results:?}");
        assert_eq!(response_count(&mut conn), 1);
    }

    async fn kiosk_enrolment_counter_submission_and_revocation(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        let org = seed_org(&mut conn);
        let da_counter: i32 = manyi::offices::counters_of(&mut conn, org.da.id).unwrap()[0].id;
        let js_counter = manyi::offices::create_counters(&mut conn, &[manyi::offices::NewCounter {
            office_id: org.js.id, code: "3", name_zh: "3 號櫃檯", name_en: "Counter 3" }]).unwrap()
            .into_iter().find(|c| c.office_id == org.js.id).unwrap().id;
        let director = Browser::new(&app);
        director.login("dir-js").await;
        let csrf = director.csrf().await;
        // Another office's counter: 404.
        let res = director.post("/console/kiosks/enrol", &[("csrf", &csrf), ("counter_id", &da_counter.to_string()), ("label", "x")]).await;
        assert_eq!(res.status(), 404);
        let res = director.post("/console/kiosks/enrol", &[("csrf", &csrf), ("counter_id", &js_counter.to_string()), ("label", "3 號櫃檯平板")]).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        let start = html.find("id=\"enrol-code\">").unwrap() + "id=\"enrol-code\">".len();
        let code = html[start..start + 9].to_owned();
        assert!(html.contains(&format!("/kiosk/enrol?code={code}")));

        // The tablet: not enrolled, then enrolled by the code.
        let tablet = Browser::new(&app);
        let page = tablet.get("/kiosk").await.text().await.unwrap();
        assert!(page.contains("此平板尚未啟用"));
        let url = format!("{}/api/v1/responses", app.address);
        let body = json!({"form": "counter", "idempotency_key": "kiosk-000000001", "channel": "counter", "answers": counter_answers(5)});
        assert_eq!(tablet.client.post(&url).json(&body).send().await.unwrap().status(), 403);
        let res = tablet.get(&format!("/kiosk/enrol?code={}", code.to_lowercase())).await;
        assert_eq!(res.status(), 303);
        let page = tablet.get("/kiosk").await.text().await.unwrap();
        assert!(page.contains("臨櫃服務滿意度調查") && page.contains("3 號櫃檯"));
        let res = tablet.client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["response_id"].as_i64().unwrap();
        let stored = manyi::survey::load_response(&mut conn, id).unwrap().unwrap();
        assert_eq!((stored.office_id, stored.counter_id, stored.channel.as_str()), (org.js.id, Some(js_counter), "counter"));
        assert!(stored.device_id.is_some());
        let transcript = manyi::offices::find_service_type(&mut conn, "transcript").unwrap().unwrap();
        assert_eq!(stored.service_type_id, Some(transcript.id));
        // The code works once.
        let other = Browser::new(&app);
        assert_eq!(other.get(&format!("/kiosk/enrol?code={code}")).await.status(), 400);
        // Revoked: the tablet is refused again.
        let devices_page = director.get("/console/kiosks").await.text().await.unwrap();
        let device_id = stored.device_id.unwrap();
        assert!(devices_page.contains(&format!("/console/kiosks/{device_id}/revoke")));
        assert_eq!(director.post(&format!("/console/kiosks/{device_id}/revoke"), &[("csrf", &csrf)]).await.status(), 303);
        let again = json!({"form": "counter", "idempotency_key": "kiosk-000000002", "channel": "counter", "answers": counter_answers(5)});
        assert_eq!(tablet.client.post(&url).json(&again).send().await.unwrap().status(), 401, "a revoked device");
        assert!(tablet.get("/kiosk").await.text().await.unwrap().contains("此平板尚未啟用"));
        // Another office's director cannot revoke it (404).
        let da = Browser::new(&app);
        da.login("dir-da").await;
        let da_csrf = da.csrf().await;
        assert_eq!(da.post(&format!("/console/kiosks/{device_id}/revoke"), &[("csrf", &da_csrf)]).await.status(), 404);
        assert_eq!(response_count(&mut conn), 1);
    }

    async fn low_scores_raise_alerts_for_the_office(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let url = format!("{}/api/v1/responses", app.address);
        let director = Browser::new(&app);
        director.login("dir-js").await;
        // Live stream first: the alert must arrive on it.
        let mut stream = director.get("/console/alerts/stream").await;
        assert_eq!(stream.headers()["content-type"], "text/event-stream");
        let _ = stream.chunk().await.unwrap(); // retry: line
        // 4s only: no alert. A 2 on one item: an alert naming it.
        assert_eq!(post_json(&app.client, &url, &web_submission("alert-none-00001", 4)).await.status(), 201);
        let mut low = web_submission("alert-low-000001", 4);
        low["answers"]["info_findable"] = json!(2);
        low["answers"]["page_speed"] = json!(1);
        assert_eq!(post_json(&app.client, &url, &low).await.status(), 201);
        let mut seen = String::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !seen.contains("event: alert") && std::time::Instant::now() < deadline {
            let chunk = actix_web::rt::time::timeout(std::time::Duration::from_secs(10), stream.chunk()).await;
            if let Ok(Ok(Some(b))) = chunk { seen.push_str(&String::from_utf8_lossy(&b)); }
        }
        assert!(seen.contains("event: alert"), "{seen}");
        assert!(seen.contains("\"items\":\"info_findable,page_speed\""), "{seen}");
        assert!(seen.contains("\"lowest_score\":1"), "{seen}");
        drop(stream);
        let list: Value = director.get("/api/v1/console/alerts").await.json().await.unwrap();
        let alerts = list["alerts"].as_array().unwrap();
        assert_eq!(alerts.len(), 1);
        let alert_id = alerts[0]["id"].as_i64().unwrap();
        let dash: Value = director.get("/api/v1/console/dashboard").await.json().await.unwrap();
        assert_eq!(dash["attention"][0]["open_alerts"], 1, "{dash}");
        // Other offices do not see it, nor may they acknowledge it.
        let da = Browser::new(&app);
        da.login("dir-da").await;
        let other: Value = da.get("/api/v1/console/alerts").await.json().await.unwrap();
        assert_eq!(other["alerts"].as_array().unwrap().len(), 0);
        let da_csrf = da.csrf().await;
        assert_eq!(da.post(&format!("/console/alerts/{alert_id}/ack"), &[("csrf", &da_csrf), ("note", "x")]).await.status(), 404);
        let csrf = director.csrf().await;
        assert_eq!(director.post(&format!("/console/alerts/{alert_id}/ack"), &[("csrf", &csrf), ("note", "已致電民眾說明")]).await.status(), 303);
        let (ack, note): (Option<chrono::NaiveDateTime>, Option<String>) = alerts::table
            .find(alert_id as i32).select((alerts::acknowledged_at, alerts::note)).first(&mut conn).unwrap();
        assert!(ack.is_some());
        assert_eq!(note.as_deref(), Some("已致電民眾說明"));
        // The office's threshold decides: at 1, a 2 no longer alerts. Another office's is out of reach.
        assert_eq!(director.post("/console/offices/DA/alert-threshold", &[("csrf", &csrf), ("threshold", "1")]).await.status(), 404);
        assert_eq!(director.post("/console/offices/JS/alert-threshold", &[("csrf", &csrf), ("threshold", "9")]).await.status(), 400);
        assert_eq!(director.post("/console/offices/JS/alert-threshold", &[("csrf", &csrf), ("threshold", "1")]).await.status(), 303);
        let da_threshold: i16 = manyi::db::schema::offices::table.filter(manyi::db::schema::offices::code.eq("DA"))
            .select(manyi::db::schema::offices::alert_threshold).first(&mut conn).unwrap();
        assert_eq!(da_threshold, 2);
        let mut two = web_submission("alert-two-000001", 4);
        two["answers"]["overall"] = json!(2);
        assert_eq!(post_json(&app.client, &url, &two).await.status(), 201);
        let n: i64 = alerts::table.count().get_result(&mut conn).unwrap();
        assert_eq!(n, 1);
    }

    async fn one_time_links_answer_once(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let director = Browser::new(&app);
        director.login("dir-js").await;
        let csrf = director.csrf().await;
        let res = director.post("/console/survey-links", &[("csrf", &csrf), ("office", "JS"), ("form", "staff"), ("count", "2")]).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        let tokens: Vec<String> = html.match_indices("/survey/JS/staff?t=").map(|(i, m)| html[i + m.len()..i + m.len() + 64].to_owned()).collect();
        assert_eq!(tokens.len(), 2, "{html}");
        assert_eq!(director.get(&format!("/survey/JS/staff?t={}", tokens[0])).await.status(), 200);
        let url = format!("{}/api/v1/responses", app.address);
        let answers = json!({"role": "counter", "workload_reasonable": 3, "staffing": 2, "supervisor_support": 4,
                             "communication": 4, "training": 5, "equipment": 3, "overall": 4});
        let submit = |key: &str, token: Option<&str>| {
            let mut b = json!({"form": "staff", "idempotency_key": key, "channel": "internal", "office": "JS", "answers": answers});
            if let Some(t) = token { b["survey_token"] = json!(t); }
            b
        };
        assert_eq!(post_json(&app.client, &url, &submit("staff-link-00001", Some(&tokens[0]))).await.status(), 201);
        let res = post_json(&app.client, &url, &submit("staff-link-00002", Some(&tokens[0]))).await;
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "survey_token");
        let res = post_json(&app.client, &url, &submit("staff-link-00003", None)).await;
        assert_eq!(res.status(), 403);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "survey_token");
        assert_eq!(post_json(&app.client, &url, &submit("staff-link-00004", Some(&tokens[1]))).await.status(), 201);
        assert_eq!(response_count(&mut conn), 2);
        // Anonymous: nothing in the response points at the link.
        let cols: Vec<Option<i32>> = responses::table.select(responses::device_id).load(&mut conn).unwrap();
        assert!(cols.iter().all(|d| d.is_none()));
    }

    async fn public_rate_limit_and_honeypot(engine) {
        let app = spawn_app_with(engine, |s| s.public_rate_per_minute = 3).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let url = format!("{}/api/v1/responses", app.address);
        let mut bot = web_submission("honeypot-000001", 5);
        bot["website"] = json!("http://spam.example");
        let res = post_json(&app.client, &url, &bot).await;
        assert_eq!(res.status(), 201, "bots are not told");
        assert_eq!(response_count(&mut conn), 0);
        for i in 0..2 {
            assert_eq!(post_json(&app.client, &url, &web_submission(&format!("rate-limit-{i:05}"), 5)).await.status(), 201);
        }
        let res = post_json(&app.client, &url, &web_submission("rate-limit-99999", 5)).await;
        assert_eq!(res.status(), 429);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "too_many_requests");
        assert_eq!(response_count(&mut conn), 2);
    }

    async fn queued_answer_with_an_older_form_version(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let old_hash = crate::helpers::catalog().get("web").unwrap().version_hash.clone();
        // The forms change while a tablet still holds an answer to the old version.
        let dir = tempfile::tempdir().unwrap();
        for entry in std::fs::read_dir(crate::helpers::forms_dir()).unwrap() {
            let p = entry.unwrap().path();
            let text = std::fs::read_to_string(&p).unwrap().replace("網站資訊完整、正確", "網站資訊完整且正確");
            std::fs::write(dir.path().join(p.file_name().unwrap()), text).unwrap();
        }
        let mut settings = crate::helpers::settings(&app.db);
        settings.forms_dir = dir.path().to_owned();
        let newer = manyi::startup::Application::build(settings).await.unwrap();
        let address = format!("http://127.0.0.1:{}", newer.port());
        actix_web::rt::spawn(newer.run_until_stopped());
        let mut body = web_submission("old-version-00001", 4);
        body["version"] = json!(old_hash);
        body["answered_at"] = json!((chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339());
        let res = post_json(&app.client, &format!("{address}/api/v1/responses"), &body).await;
        assert_eq!(res.status(), 201);
        let id = res.json::<Value>().await.unwrap()["response_id"].as_i64().unwrap();
        let stored = manyi::survey::load_response(&mut conn, id).unwrap().unwrap();
        let old = manyi::forms::find_version(&mut conn, &old_hash).unwrap().unwrap();
        assert_eq!(stored.form_version_id, old.id);
        let age = chrono::Utc::now().naive_utc() - stored.submitted_at;
        assert!(age > chrono::Duration::minutes(170), "answered_at kept: {age}");
    }

    async fn openapi_document_describes_the_api(engine) {
        let app = spawn_app(engine).await;
        let doc: Value = app.get("/api/openapi.json").await.json().await.unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        let post = &doc["paths"]["/api/v1/responses"]["post"];
        assert!(post["responses"]["201"].is_object() && post["responses"]["413"].is_object());
        assert!(doc["components"]["schemas"]["SubmitRequest"]["properties"]["idempotency_key"].is_object());
        assert!(doc["paths"]["/api/v1/forms/{key}"]["get"].is_object());
        // Every API route is described, and `channel` is an enumeration.
        for (path, method) in [
            ("/api/v1/forms", "get"), ("/api/v1/forms/{key}", "get"), ("/api/v1/responses", "post"),
            ("/api/v1/offices", "get"), ("/api/v1/service-types", "get"), ("/healthz/ready", "get"), ("/healthz/live", "get"),
            ("/api/v1/console/dashboard", "get"), ("/api/v1/console/offices/{code}", "get"),
            ("/api/v1/console/users", "get"), ("/api/v1/console/audit", "get"),
            ("/api/v1/console/alerts", "get"), ("/api/v1/analytics/{part}", "get"),
        ] {
            assert!(doc["paths"][path][method].is_object(), "{method} {path}");
        }
        let channel = &doc["components"]["schemas"]["ChannelName"];
        assert_eq!(channel["enum"], serde_json::json!(["counter", "web", "internal"]), "{channel}");
        assert!(doc["components"]["securitySchemes"]["session"].is_object());
        assert_eq!(doc["paths"]["/api/v1/console/users"]["get"]["security"][0]["session"], serde_json::json!([]));
    }
}
