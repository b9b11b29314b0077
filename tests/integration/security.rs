//! Regression tests of the hostile review (issue 12), each against the real
//! app over HTTP, on both engines where storage is involved. Every test here
//! failed before its fix.

use diesel::prelude::*;
use manyi::calendar::Calendar;
use manyi::cases::{self, CaseStatus};
use manyi::db::DbConnection;
use serde_json::{Value, json};

use crate::helpers::{
    Browser, PASSWORD, TestApp, counter_answers, hidden_csrf, on_both_engines, post_json,
    response_count, seed_org, spawn_app, spawn_app_with, user, web_submission,
};

fn case_count(conn: &mut DbConnection) -> i64 {
    manyi::db::schema::cases::table
        .count()
        .get_result(conn)
        .unwrap()
}

fn attempts(conn: &mut DbConnection, username: &str) -> i64 {
    use manyi::db::schema::login_attempts as la;
    la::table
        .filter(la::username.eq(username))
        .count()
        .get_result(conn)
        .unwrap()
}

/// An enrolled kiosk of office JS: (its browser, the device token).
async fn enrolled_kiosk(app: &TestApp, conn: &mut DbConnection) -> (Browser, String) {
    let org_js = manyi::offices::find_office_by_code(conn, &crate::helpers::code("JS"))
        .unwrap()
        .unwrap();
    let counter = manyi::offices::create_counters(
        conn,
        &[manyi::offices::NewCounter {
            office_id: org_js.id,
            code: "7",
            name_zh: "7 號櫃檯",
            name_en: "Counter 7",
        }],
    )
    .unwrap()
    .into_iter()
    .find(|c| c.office_id == org_js.id)
    .unwrap();
    let director = Browser::new(app);
    director.login("dir-js").await;
    let csrf = director.csrf().await;
    let res = director
        .post(
            "/console/kiosks/enrol",
            &[
                ("csrf", &csrf),
                ("counter_id", &counter.id.to_string()),
                ("label", "7"),
            ],
        )
        .await;
    let html = res.text().await.unwrap();
    let start = html.find("id=\"enrol-code\">").unwrap() + "id=\"enrol-code\">".len();
    let code = html[start..start + 9].to_owned();
    let tablet = Browser::new(app);
    let res = tablet.get(&format!("/kiosk/enrol?code={code}")).await;
    assert_eq!(res.status(), 303);
    let token = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("manyi_device="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .expect("a device cookie");
    (tablet, token)
}

on_both_engines! {
    // Defect 1: counter and research staff could accept, assign themselves,
    // unmask and close. Roles are enforced in `cases`.
    async fn only_directors_and_handlers_act_on_cases(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        let org = seed_org(&mut conn);
        let director = user(&mut conn, "dir-js");
        let counter = user(&mut conn, "ctr-js");
        let case = cases::register_case(&mut conn, &Calendar::shipped(), &crate::helpers::petition(org.js.id, cases::CaseChannel::PetitionWritten), Some(&director)).unwrap();
        let path = format!("/console/cases/{}", case.case_no);
        let act = format!("{path}/action");
        for who in ["ctr-js", "res-js"] {
            let b = Browser::new(&app);
            b.login(who).await;
            let csrf = b.csrf().await;
            let page = b.get(&path).await.text().await.unwrap();
            assert!(!page.contains("value=\"accept\""), "{who} is not offered actions");
            let res = b.post(&act, &[("csrf", &csrf), ("action", "accept"), ("deadline", "simple")]).await;
            assert_eq!(res.status(), 403, "{who} accept");
            let me = user(&mut conn, who).id.to_string();
            assert_eq!(b.post(&act, &[("csrf", &csrf), ("action", "assign"), ("user_id", &me)]).await.status(), 403);
            assert!(!b.get(&path).await.text().await.unwrap().contains("王小明"), "{who} sees it masked");
        }
        let now = cases::get_case(&mut conn, &director.scope(), case.id).unwrap();
        assert_eq!((now.status, now.assigned_to), (CaseStatus::Received, None));
        // County and system administrators read, they do not handle.
        for who in ["kinmen", "admin"] {
            let b = Browser::new(&app);
            b.login(who).await;
            let csrf = b.csrf().await;
            assert_eq!(b.post(&act, &[("csrf", &csrf), ("action", "accept"), ("deadline", "simple")]).await.status(), 403, "{who}");
        }
        // The director accepts and assigns counter staff; the handler may reply
        // (and sees the petitioner) but not close or reassign.
        let d = Browser::new(&app);
        d.login("dir-js").await;
        let dcsrf = d.csrf().await;
        assert_eq!(d.post(&act, &[("csrf", &dcsrf), ("action", "accept"), ("deadline", "simple")]).await.status(), 303);
        assert_eq!(d.post(&act, &[("csrf", &dcsrf), ("action", "assign"), ("user_id", &counter.id.to_string())]).await.status(), 303);
        let h = Browser::new(&app);
        h.login("ctr-js").await;
        let hcsrf = h.csrf().await;
        assert!(h.get(&path).await.text().await.unwrap().contains("王小明"));
        let research = user(&mut conn, "res-js").id.to_string();
        assert_eq!(h.post(&act, &[("csrf", &hcsrf), ("action", "assign"), ("user_id", &research)]).await.status(), 403);
        assert_eq!(h.post(&act, &[("csrf", &hcsrf), ("action", "reply"), ("text", "已改善叫號流程。")]).await.status(), 303);
        assert_eq!(h.post(&act, &[("csrf", &hcsrf), ("action", "close")]).await.status(), 403);
        assert_eq!(d.post(&act, &[("csrf", &dcsrf), ("action", "close"), ("confirm", "yes")]).await.status(), 303);
        // Research staff may not type cases in; counter staff may.
        let r = Browser::new(&app);
        r.login("res-js").await;
        let rcsrf = r.csrf().await;
        let form = |csrf: &str| vec![
            ("csrf", csrf.to_owned()), ("office", "JS".to_owned()), ("channel", "comment_box".to_owned()),
            ("category", "waiting".to_owned()), ("subject", "意見箱".to_owned()), ("content", "請增加座位".to_owned()),
            ("received_on", (chrono::Utc::now().date_naive() - chrono::Duration::days(1)).to_string()),
        ];
        let before = case_count(&mut conn);
        assert_eq!(r.client.post(format!("{}/console/cases", app.address)).form(&form(&rcsrf)).send().await.unwrap().status(), 403);
        assert_eq!(case_count(&mut conn), before);
        assert_eq!(h.client.post(format!("{}/console/cases", app.address)).form(&form(&hcsrf)).send().await.unwrap().status(), 303);
        assert_eq!(case_count(&mut conn), before + 1);
    }

    // Defect 3: case numbers were count(*)+1 and collided. 50 concurrent
    // mailbox letters over two instances: all stored, numbers distinct and gapless.
    async fn concurrent_petitions_over_two_instances_get_distinct_numbers(engine) {
        let app = spawn_app_with(engine, |s| s.public_rate_per_minute = 1000).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let second = app.second_instance(|s| s.public_rate_per_minute = 1000).await;
        let mut tasks = Vec::new();
        for i in 0..50 {
            let base = if i % 2 == 0 { app.address.clone() } else { second.clone() };
            tasks.push(actix_web::rt::spawn(async move {
                let b = Browser::at(&base);
                let page = b.get("/mailbox/JS").await.text().await.unwrap();
                let csrf = hidden_csrf(&page);
                let res = b.post("/mailbox/JS", &[
                    ("csrf", csrf.as_str()), ("category", "waiting"), ("subject", "叫號"),
                    ("content", &format!("第 {i} 封信")), ("language", "zh-TW"),
                ]).await;
                res.status().as_u16()
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 200);
        }
        use manyi::db::schema::cases;
        let mut numbers: Vec<String> = cases::table.select(cases::case_no).load(&mut conn).unwrap();
        numbers.sort();
        assert_eq!(numbers.len(), 50);
        let roc = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).year_roc();
        let expected: Vec<String> = (1..=50).map(|n| format!("JS-{roc}-{n:05}")).collect();
        assert_eq!(numbers, expected);
    }

    // Defect 4: NUL and other controls gave 500 on PostgreSQL. Every place
    // text comes in: 4xx naming the field, nothing stored.
    async fn control_characters_are_refused_at_the_edge(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let url = format!("{}/api/v1/responses", app.address);
        let mut body = web_submission("nul-comment-0001", 4);
        body["answers"]["comment"] = json!("很好\u{0}");
        let res = post_json(&app.client, &url, &body).await;
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "answers.comment");
        let mut body = web_submission("nul-version-0001", 4);
        body["version"] = json!("ab\u{0}");
        let res = post_json(&app.client, &url, &body).await;
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "version");
        for path in ["/mailbox/%00", "/survey/%00/web", "/console/cases/JS%00", "/forms/%FF", "/cases/lookup?case_no=%00"] {
            let status = app.get(path).await.status();
            assert_eq!(status, 400, "{path}");
        }
        // A citizen's form and the login form.
        let citizen = Browser::new(&app);
        let csrf = hidden_csrf(&citizen.get("/mailbox/JS").await.text().await.unwrap());
        for (field, value) in [("subject", "主旨\u{0}"), ("category", "wait\u{0}ing"), ("content", "a\u{b}b"), ("name", "王\u{7f}")] {
            let mut fields = vec![("csrf", csrf.as_str()), ("category", "waiting"), ("subject", "主旨"), ("content", "內容")];
            fields.retain(|(k, _)| *k != field);
            fields.push((field, value));
            let res = citizen.post("/mailbox/JS", &fields).await;
            assert_eq!(res.status(), 400, "{field}");
            assert!(res.text().await.unwrap().contains(field), "the page names {field}");
        }
        let page = citizen.get("/cases/lookup").await.text().await.unwrap();
        let csrf = hidden_csrf(&page);
        assert_eq!(citizen.post("/cases/lookup", &[("csrf", &csrf), ("case_no", "JS\u{0}"), ("secret", "x")]).await.status(), 400);
        let page = citizen.get("/login").await.text().await.unwrap();
        let csrf = hidden_csrf(&page);
        assert_eq!(citizen.post("/login", &[("csrf", &csrf), ("username", "admin\u{0}"), ("password", "x")]).await.status(), 400);
        // Staff forms: a case typed in and a measure.
        let d = Browser::new(&app);
        d.login("dir-js").await;
        let dcsrf = d.csrf().await;
        let res = d.post("/console/cases", &[
            ("csrf", &dcsrf), ("office", "JS"), ("channel", "comment_box"), ("category", "waiting"),
            ("subject", "意見\u{0}"), ("content", "x"), ("received_on", "2024-02-07"),
        ]).await;
        assert_eq!(res.status(), 400);
        let res = d.post("/console/reports/measures", &[
            ("csrf", &dcsrf), ("office", "JS"), ("year", "113"), ("kind", "item"), ("key", "waiting_time"),
            ("measure", "增加\u{0}櫃檯"),
        ]).await;
        assert_eq!(res.status(), 400);
        // Line breaks in free text stay allowed.
        let res = citizen.get("/mailbox/JS").await.text().await.unwrap();
        let csrf = hidden_csrf(&res);
        let res = citizen.post("/mailbox/JS", &[("csrf", &csrf), ("category", "waiting"), ("subject", "主旨"), ("content", "第一行\r\n第二行\t完")]).await;
        assert_eq!(res.status(), 200);
        assert_eq!(case_count(&mut conn), 1);
        assert_eq!(response_count(&mut conn), 0);
    }

    // Defects 5 and 13: a multibyte device cookie panicked the handler; made-up
    // device tokens skipped every limit. Unknown devices: 401, counted against
    // the address; known devices against their own budget.
    async fn device_tokens_are_checked_before_limits(engine) {
        let app = spawn_app_with(engine, |s| { s.public_rate_per_minute = 5; s.device_rate_per_minute = 4; }).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        // A real kiosk (its enrolment takes one of the address's 5 a minute).
        let (_tablet, token) = enrolled_kiosk(&app, &mut conn).await;
        let url = format!("{}/api/v1/responses", app.address);
        let body = |key: &str| json!({"form": "counter", "idempotency_key": key, "channel": "counter", "answers": counter_answers(5)});
        let res = app.client.post(&url)
            .header("cookie", "manyi_device=%E4%B8%AD%E4%B8%AD%E4%B8%AD%E4%B8%AD%E4%B8%AD%E4%B8%AD")
            .json(&body("multibyte-00001")).send().await.unwrap();
        assert_eq!(res.status(), 401, "{:?}", res.text().await);
        let res = app.client.post(&url).header("X-Device-Token", "中中中中中中中中中中中中中中中中中中中中中中")
            .json(&body("multibyte-00002")).send().await.unwrap();
        assert_eq!(res.status(), 403, "not a header a token can be read from: no token");
        // Rotating made-up tokens meets the address limit (2 of 5 left).
        let mut statuses = Vec::new();
        for i in 0..4 {
            let res = app.client.post(&url).header("X-Device-Token", format!("{i:064}"))
                .json(&body(&format!("made-up-{i:07}"))).send().await.unwrap();
            statuses.push(res.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 429, 429]);
        // The real kiosk is not limited by that address budget, only by its own.
        let mut statuses = Vec::new();
        for i in 0..5 {
            let res = app.client.post(&url).header("X-Device-Token", &token)
                .json(&body(&format!("real-kiosk-{i:05}"))).send().await.unwrap();
            statuses.push(res.status().as_u16());
        }
        assert_eq!(statuses, [201, 201, 201, 201, 429]);
        let res = app.client.post(&url).header("X-Device-Token", &token)
            .json(&body("real-kiosk-99999")).send().await.unwrap();
        assert_eq!(res.headers()["retry-after"], "60");
        assert_eq!(response_count(&mut conn), 4);
    }

    // Defect 6: actix's 16 KiB default refused long Chinese letters with a
    // plain-text 413. The page allows 5,000 characters; over-limit bodies get a page.
    async fn long_chinese_letters_are_taken(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let citizen = Browser::new(&app);
        let csrf = hidden_csrf(&citizen.get("/mailbox/JS").await.text().await.unwrap());
        let long = "戶".repeat(5000);
        let res = citizen.post("/mailbox/JS", &[("csrf", &csrf), ("category", "waiting"), ("subject", "很長的信"), ("content", &long)]).await;
        assert_eq!(res.status(), 200);
        assert_eq!(case_count(&mut conn), 1);
        let csrf = hidden_csrf(&citizen.get("/mailbox/JS").await.text().await.unwrap());
        let longer = "戶".repeat(5001);
        let res = citizen.post("/mailbox/JS", &[("csrf", &csrf), ("category", "waiting"), ("subject", "太長"), ("content", &longer)]).await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("5000"));
        let huge = "戶".repeat(30_000);
        let res = citizen.client.post(format!("{}/mailbox/JS?lang=en", app.address))
            .form(&[("csrf", csrf.as_str()), ("category", "waiting"), ("subject", "x"), ("content", &huge)])
            .send().await.unwrap();
        assert_eq!(res.status(), 413);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(res.text().await.unwrap().contains("too long"));
        assert_eq!(case_count(&mut conn), 1);
    }

    // Defect 9: internal surveys took anonymous answers until links existed.
    async fn forms_declare_who_may_answer(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let url = format!("{}/api/v1/responses", app.address);
        let staff = json!({"form": "staff", "idempotency_key": "anon-staff-0001", "channel": "internal", "office": "JS",
            "answers": {"role": "counter", "workload_reasonable": 1, "staffing": 1, "supervisor_support": 1,
                        "communication": 1, "training": 1, "equipment": 1, "overall": 1}});
        let res = post_json(&app.client, &url, &staff).await;
        assert_eq!(res.status(), 403);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "survey_token");
        let form = manyi::forms::FormCatalog::load_dir(&crate::helpers::forms_dir()).unwrap();
        let phone = form.get("phone-test").unwrap();
        let mut answers = serde_json::Map::new();
        for item in &phone.form.items {
            if let manyi::forms::ItemKind::Points { max, levels } = &item.kind {
                let best = levels.iter().map(|l| l.points).max().unwrap_or(*max);
                answers.insert(item.key.to_string(), json!(best));
            }
        }
        let scoresheet = json!({"form": "phone-test", "idempotency_key": "anon-phone-0001", "channel": "internal",
            "office": "JS", "answers": answers});
        let res = post_json(&app.client, &url, &scoresheet).await;
        assert_eq!(res.status(), 403);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "session");
        // Staff of another office may not either; staff of the office may.
        let da = Browser::new(&app);
        da.login("dir-da").await;
        assert_eq!(post_json(&da.client, &url, &scoresheet).await.status(), 403);
        let js = Browser::new(&app);
        js.login("res-js").await;
        let res = post_json(&js.client, &url, &scoresheet).await;
        assert_eq!(res.status(), 201, "{:?}", res.text().await);
        assert_eq!(response_count(&mut conn), 1);
        // A counter-only form without a kiosk: refused.
        let counter = json!({"form": "counter", "idempotency_key": "anon-counter-01", "channel": "counter", "answers": counter_answers(1)});
        assert_eq!(post_json(&app.client, &url, &counter).await.status(), 403);
        assert_eq!(response_count(&mut conn), 1);
    }

    // Defect 10: the alert stream outlived logout.
    async fn alert_stream_ends_with_the_session(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let d = Browser::new(&app);
        d.login("dir-js").await;
        let csrf = d.csrf().await;
        let mut res = d.get("/console/alerts/stream").await;
        assert_eq!(res.status(), 200);
        let first = res.chunk().await.unwrap().unwrap();
        assert!(String::from_utf8_lossy(&first).contains("retry"));
        assert_eq!(d.post("/logout", &[("csrf", &csrf)]).await.status(), 303);
        // An alert after the logout: the stream ends instead of delivering it.
        let url = format!("{}/api/v1/responses", app.address);
        let mut low = web_submission("after-logout-001", 1);
        low["answers"]["comment"] = json!("非常不滿意");
        post_json(&app.client, &url, &low).await;
        assert_stream_ends_without_alerts(res).await;
    }

    // Found by the second hostile test: the stream outlived a demotion.
    async fn alert_stream_ends_when_the_role_may_no_longer_see_alerts(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let d = Browser::new(&app);
        d.login("dir-js").await;
        let mut res = d.get("/console/alerts/stream").await;
        assert_eq!(res.status(), 200);
        res.chunk().await.unwrap().unwrap();
        let admin = Browser::new(&app);
        admin.login("admin").await;
        let csrf = admin.csrf().await;
        let id = user(&mut conn, "dir-js").id;
        let changed = admin.post(&format!("/console/users/{id}/role"), &[("csrf", &csrf), ("role", "counter_staff")]).await;
        assert_eq!(changed.status(), 303);
        let url = format!("{}/api/v1/responses", app.address);
        post_json(&app.client, &url, &web_submission("after-demotion-1", 1)).await;
        assert_stream_ends_without_alerts(res).await;
    }

    // Found by the second hostile test: a compressed body was checked
    // compressed and read decompressed (NUL reached PostgreSQL); a username of
    // thousands of characters overflowed the throttle's index.
    async fn compressed_bodies_and_huge_usernames_are_refused(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let citizen = Browser::new(&app);
        let csrf = hidden_csrf(&citizen.get("/mailbox/JS").await.text().await.unwrap());
        let body = format!("csrf={csrf}&category=waiting&subject=x&content=a%00b");
        for encoding in ["deflate", "gzip", "br", "zstd"] {
            let res = citizen.client.post(format!("{}/mailbox/JS", app.address))
                .header("content-type", "application/x-www-form-urlencoded")
                .header("content-encoding", encoding)
                .body(body.clone()).send().await.unwrap();
            assert_eq!(res.status(), 415, "{encoding}");
        }
        let res = app.client.post(format!("{}/api/v1/responses", app.address))
            .header("content-type", "application/json").header("content-encoding", "gzip")
            .body("{}").send().await.unwrap();
        assert_eq!(res.status(), 415);
        // A second Content-Encoding header, and a charset other than UTF-8
        // (actix would decode the body differently from what was checked).
        let res = app.client.post(format!("{}/api/v1/responses", app.address))
            .header("content-type", "application/json")
            .header("content-encoding", "identity").header("content-encoding", "gzip")
            .json(&crate::helpers::web_submission("two-encodings-01", 5)).send().await.unwrap();
        assert_eq!(res.status(), 415);
        for charset in ["iso-8859-2", "windows-1252", "latin1", "utf-16le"] {
            let res = citizen.client.post(format!("{}/mailbox/JS", app.address))
                .header("content-type", format!("application/x-www-form-urlencoded; charset={charset}"))
                .body(format!("csrf={csrf}&category=waiting&subject=x%C4%81&content=y")).send().await.unwrap();
            assert_eq!(res.status(), 415, "{charset}");
        }
        let ok = citizen.client.post(format!("{}/mailbox/JS", app.address))
            .header("content-type", "application/x-www-form-urlencoded; charset=UTF-8")
            .body(format!("csrf={csrf}&category=waiting&subject=x&content=y")).send().await.unwrap();
        assert_eq!(ok.status(), 200, "UTF-8 declared is fine");
        assert_eq!(case_count(&mut conn), 1, "only the UTF-8 one");
        let b = Browser::new(&app);
        for n in [41, 3_000, 30_000] {
            let name = "a".repeat(n);
            assert_eq!(b.login_with(&name, "x").await.status(), 401, "{n}");
        }
        use manyi::db::schema::login_throttle;
        let rows: i64 = login_throttle::table.count().get_result(&mut conn).unwrap();
        assert_eq!(rows, 0, "no counter keyed on a name no account can have");
        // Trailing data after the JSON document; single-line fields; labels.
        let raw = format!("{}\u{0}{{\"answers\":{{}}}}", crate::helpers::web_submission("trailing-json-01", 5));
        let res = app.client.post(format!("{}/api/v1/responses", app.address))
            .header("content-type", "application/json").body(raw).send().await.unwrap();
        assert_eq!(res.status(), 400);
        let csrf = hidden_csrf(&citizen.get("/mailbox/JS").await.text().await.unwrap());
        let res = citizen.post("/mailbox/JS", &[("csrf", &csrf), ("category", "waiting"), ("subject", "主旨\r\n第二行"), ("content", "內容")]).await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("subject"));
        assert_eq!(response_count(&mut conn), 0);
        assert_eq!(case_count(&mut conn), 1);
        // A wrong path parameter on a page is a page, not JSON.
        let d = Browser::new(&app);
        d.login("dir-js").await;
        let res = d.get("/console/users/abc").await;
        assert_eq!(res.status(), 404);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    }

    // Found by the second hostile test: the analytics API gave comment
    // examples (and numbers cut out as terms) unmasked.
    async fn comment_examples_are_masked_everywhere(engine) {
        let app = spawn_app_with(engine, |s| s.public_rate_per_minute = 1000).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let url = format!("{}/api/v1/responses", app.address);
        for i in 0..6 {
            let mut low = web_submission(&format!("masked-low-{i:05}"), 1);
            low["answers"]["comment"] = json!(format!(
                "等太久 身分證 A123 456 789 請回電 0912\t345\t678 或 0912、345、678 或 〇九一二、三四五、六七八 或 wang.xm [at] example [dot] com {i}"
            ));
            assert_eq!(post_json(&app.client, &url, &low).await.status(), 201);
            let mut high = web_submission(&format!("masked-high-{i:05}"), 5);
            high["answers"]["comment"] = json!("服務很好 很親切");
            assert_eq!(post_json(&app.client, &url, &high).await.status(), 201);
        }
        let d = Browser::new(&app);
        d.login("dir-js").await;
        let body = d.get("/api/v1/analytics/terms?office=JS&form=web").await.text().await.unwrap();
        assert!(body.contains("等太久") || body.contains("＊＊＊"), "{body}");
        for leak in ["A123", "456 789", "0912", "345\\t678", "wang", "[at]", "[dot]", "一二", "三四五"] {
            assert!(!body.contains(leak), "{leak} in {body}");
        }
    }

    // Defect 2: the lock was a wall (checked before the password, kept alive by
    // one failure every few minutes, one address locking every account) and
    // counted with a race. Now: growing delays, atomic counting, known
    // addresses exempt, `unlock`.
    async fn login_throttling_slows_guessing_without_locking_owners_out(engine) {
        // Delays from one minute on, so that no wait runs out during the test.
        let app = spawn_app_with(engine, |s| {
            s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            s.login_first_delay_seconds = 60;
        })
        .await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        // The owner logs in from the office once: that address is known.
        Browser::from_address(&app.address, "198.51.100.10").login("admin").await;
        // 25 parallel wrong guesses from one address: 3 password checks, not more.
        let mut tasks = Vec::new();
        for _ in 0..25 {
            let base = app.address.clone();
            tasks.push(actix_web::rt::spawn(async move {
                Browser::from_address(&base, "203.0.113.66").login_with("admin", "wrong password").await.status().as_u16()
            }));
        }
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        assert_eq!(attempts(&mut conn, "admin"), 1 + 3, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 3);
        assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 22);
        // Guessing from many more addresses throttles the account for new addresses …
        let spray = |from: u8| {
            let base = app.address.clone();
            async move {
                for i in 0..12u8 {
                    Browser::from_address(&base, &format!("203.0.113.{}", from + i)).login_with("admin", "guess").await;
                }
            }
        };
        spray(100).await;
        let elsewhere = Browser::from_address(&app.address, "192.0.2.77");
        let res = elsewhere.login_with("admin", PASSWORD).await;
        assert_eq!(res.status(), 429, "a new address waits");
        assert!(res.headers().contains_key("retry-after"));
        // … but not its owner at a known address, with the right password.
        Browser::from_address(&app.address, "198.51.100.10").login("admin").await;
        // `manyi user unlock` (the same function) lets a new address in at once.
        spray(150).await;
        assert_eq!(elsewhere.login_with("admin", PASSWORD).await.status(), 429);
        let admin = user(&mut conn, "admin");
        assert!(manyi::auth::unlock_account(&mut conn, &admin, None, None).unwrap() > 0);
        elsewhere.login("admin").await;
        use manyi::db::schema::audit_log;
        let unlocked: i64 = audit_log::table.filter(audit_log::action.eq("login_unlocked")).count().get_result(&mut conn).unwrap();
        assert_eq!(unlocked, 1);
        // 30 made-up usernames from one address slow that address down, but
        // do not keep out a colleague who has logged in from there before.
        let office = "198.51.100.20";
        Browser::from_address(&app.address, office).login("dir-js").await;
        let mut last = 0;
        for i in 0..30 {
            last = Browser::from_address(&app.address, office).login_with(&format!("nobody{i}"), "x").await.status().as_u16();
        }
        assert_eq!(last, 429, "the address is slowed down");
        Browser::from_address(&app.address, office).login("dir-js").await;
    }

    // The same, across two instances: the gate is in the database.
    async fn login_counting_holds_across_instances(engine) {
        let trusted = |s: &mut manyi::config::Settings| {
            s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
            s.login_first_delay_seconds = 60;
        };
        let app = spawn_app_with(engine, trusted).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let second = app.second_instance(trusted).await;
        let mut tasks = Vec::new();
        for i in 0..20 {
            let base = if i % 2 == 0 { app.address.clone() } else { second.clone() };
            tasks.push(actix_web::rt::spawn(async move {
                Browser::from_address(&base, "203.0.113.5").login_with("dir-js", "wrong").await.status().as_u16()
            }));
        }
        for t in tasks {
            let s = t.await.unwrap();
            assert!(s == 401 || s == 429, "{s}");
        }
        assert_eq!(attempts(&mut conn, "dir-js"), 3);
    }

    // Defects 11 and 12: CR/LF in `next`; forwarded headers in generated links.
    async fn next_and_forwarded_headers_cannot_be_abused(engine) {
        let app = spawn_app_with(engine, |s| s.public_url = Some("https://manyi.example.gov.tw".into())).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let b = Browser::new(&app);
        let page = b.get("/login").await.text().await.unwrap();
        let csrf = hidden_csrf(&page);
        let res = b.post("/login", &[("username", "dir-js"), ("password", PASSWORD), ("csrf", &csrf), ("next", "/console\r\nSet-Cookie: evil=1")]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/console");
        assert_eq!(b.get("/console").await.status(), 200, "the session cookie arrived");
        // Links from the configured public address, whatever the headers say.
        let csrf = b.csrf().await;
        let res = b.client.post(format!("{}/console/survey-links", app.address))
            .header("X-Forwarded-Host", "evil.example")
            .header("X-Forwarded-Proto", "http")
            .form(&[("csrf", csrf.as_str()), ("office", "JS"), ("form", "staff"), ("count", "1")])
            .send().await.unwrap();
        let html = res.text().await.unwrap();
        assert!(!html.contains("evil.example"));
        assert!(html.contains("https://manyi.example.gov.tw/survey/JS/staff?t="), "{html}");
    }

    // Also: a reused idempotency key with another body is a 409 naming the
    // first response; duplicate answer keys are refused.
    async fn idempotency_keys_and_duplicate_items(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let url = format!("{}/api/v1/responses", app.address);
        let first = post_json(&app.client, &url, &web_submission("same-key-000001", 5)).await;
        assert_eq!(first.status(), 201);
        let id = first.json::<Value>().await.unwrap()["response_id"].as_i64().unwrap();
        let again = post_json(&app.client, &url, &web_submission("same-key-000001", 5)).await;
        assert_eq!(again.status(), 200, "the same submission again is a retry");
        let other = post_json(&app.client, &url, &web_submission("same-key-000001", 1)).await;
        assert_eq!(other.status(), 409);
        let body: Value = other.json().await.unwrap();
        assert_eq!(body["error"]["response_id"], id);
        assert_eq!(body["error"]["field"], "idempotency_key");
        let raw = r#"{"form":"web","idempotency_key":"dup-items-000001","channel":"web","office":"JS",
            "answers":{"info_complete":5,"info_findable":5,"online_ease":5,"page_speed":5,"accessibility":5,
            "overall":5,"overall":1}}"#;
        let res = app.client.post(&url).header("content-type", "application/json").body(raw).send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["field"], "answers.overall");
        assert_eq!(response_count(&mut conn), 1);
    }
}

/// Reads an alert stream to its end (20 s at most) and checks that it
/// delivered no alert.
async fn assert_stream_ends_without_alerts(mut res: reqwest::Response) {
    let rest = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let mut text = String::new();
        while let Ok(Some(chunk)) = res.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        text
    })
    .await
    .expect("the stream ends");
    assert!(!rest.contains("event: alert"), "{rest}");
}

/// ROC year of a Taipei date, for case numbers.
trait RocYear {
    fn year_roc(&self) -> i32;
}

impl<T: chrono::Datelike> RocYear for T {
    fn year_roc(&self) -> i32 {
        self.year() - 1911
    }
}

// Wrong methods: 405, not 404, as JSON on the API and a page elsewhere.
#[actix_web::test]
async fn wrong_methods_are_405() {
    let app = spawn_app(crate::helpers::Engine::Sqlite).await;
    let res = app
        .client
        .delete(format!("{}/api/v1/responses", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(
        res.json::<Value>().await.unwrap()["error"]["code"],
        "method_not_allowed"
    );
    let res = app
        .client
        .put(format!("{}/login", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    let res = app
        .client
        .get(format!("{}/logout", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(app.get("/no/such/page").await.status(), 404);
}
