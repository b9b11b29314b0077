//! The staff console over HTTP on both engines: roles, office scoping, CSRF,
//! lockout, session expiry, audit.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use manyi::db::schema::{audit_log, sessions, users};
use serde_json::Value;

use crate::helpers::{Browser, PASSWORD, on_both_engines, seed_org, spawn_app, spawn_app_with};

fn user_id(conn: &mut manyi::db::DbConnection, username: &str) -> i32 {
    users::table
        .filter(users::username.eq(username))
        .select(users::id)
        .first(conn)
        .unwrap()
}

fn audit_actions(conn: &mut manyi::db::DbConnection) -> Vec<(String, String)> {
    audit_log::table
        .order(audit_log::id)
        .select((audit_log::action, audit_log::target))
        .load(conn)
        .unwrap()
}

on_both_engines! {
    async fn login_dashboard_and_logout(engine) {
        let app = spawn_app(engine).await;
        seed_org(&mut app.conn());
        let b = Browser::new(&app);
        // Not logged in: pages send to the login page, the API answers 401.
        let res = b.get("/console").await;
        assert_eq!(res.status(), 303);
        assert_eq!(res.headers()["location"], "/login?next=%2Fconsole");
        let res = b.get("/api/v1/console/dashboard").await;
        assert_eq!(res.status(), 401);
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "unauthorized");

        b.login("dir-js").await;
        let res = b.get("/console").await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("儀表板"));
        assert!(html.contains("金門縣金沙鎮戶政事務所"));
        assert!(!html.contains("金城鎮"), "another office leaked into the dashboard");
        // English on request, remembered in a cookie.
        let res = b.get("/console/lang?to=en&next=/console").await;
        assert_eq!(res.status(), 303);
        let html = b.get("/console").await.text().await.unwrap();
        assert!(html.contains("Dashboard") && html.contains("Jinsha"));

        let csrf = b.csrf().await;
        let res = b.post("/logout", &[("csrf", &csrf)]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(b.get("/console").await.status(), 303, "logged out");
        let actions = audit_actions(&mut app.conn());
        assert!(actions.contains(&("login".into(), "user:dir-js".into())), "{actions:?}");
    }

    async fn each_role_sees_what_it_may(engine) {
        let app = spawn_app(engine).await;
        seed_org(&mut app.conn());
        // (user, users page, audit page)
        let cases = [
            ("ctr-js", 403, 403),
            ("res-js", 403, 403),
            ("dir-js", 200, 200),
            ("kinmen", 200, 200),
            ("admin", 200, 200),
        ];
        for (user, users_page, audit_page) in cases {
            let b = Browser::new(&app);
            b.login(user).await;
            assert_eq!(b.get("/console").await.status(), 200, "{user} dashboard");
            assert_eq!(b.get("/console/forms").await.status(), 200, "{user} forms");
            assert_eq!(b.get("/console/password").await.status(), 200, "{user} password");
            assert_eq!(b.get("/console/users").await.status(), users_page, "{user} users");
            assert_eq!(b.get("/console/audit").await.status(), audit_page, "{user} audit");
            assert_eq!(b.get("/api/v1/console/users").await.status(), users_page, "{user} users api");
            assert_eq!(b.get("/api/v1/console/audit").await.status(), audit_page, "{user} audit api");
            // Navigation offers only what the role may open.
            let html = b.get("/console").await.text().await.unwrap();
            assert_eq!(html.contains("href=\"/console/users\""), users_page == 200, "{user} nav");
        }
        // Which offices each role's dashboard lists.
        for (user, expected) in [
            ("ctr-js", vec!["JS"]),
            ("dir-da", vec!["DA"]),
            ("kinmen", vec!["JC", "JS"]),
            ("admin", vec!["DA", "JC", "JS"]),
        ] {
            let b = Browser::new(&app);
            b.login(user).await;
            let body: Value = b.get("/api/v1/console/dashboard").await.json().await.unwrap();
            let codes: Vec<&str> = body["offices"].as_array().unwrap().iter().map(|o| o["code"].as_str().unwrap()).collect();
            assert_eq!(codes, expected, "{user}");
        }
        // Accounts listed per scope.
        let b = Browser::new(&app);
        b.login("dir-js").await;
        let body: Value = b.get("/api/v1/console/users").await.json().await.unwrap();
        let names: Vec<&str> = body["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert_eq!(names, ["ctr-js", "dir-js", "res-js"]);
        assert!(!body.to_string().contains("argon2"), "no password hash in the API");
        let b = Browser::new(&app);
        b.login("kinmen").await;
        let body: Value = b.get("/api/v1/console/users").await.json().await.unwrap();
        let names: Vec<&str> = body["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
        assert_eq!(names, ["ctr-js", "dir-jc", "dir-js", "kinmen", "res-js"]);
    }

    async fn other_offices_answer_404(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let da_director = user_id(&mut conn, "dir-da");
        let js_director = user_id(&mut conn, "dir-js");
        let b = Browser::new(&app);
        b.login("dir-js").await;
        let csrf = b.csrf().await;
        let other = da_director.to_string();
        for path in [
            "/console/offices/DA".to_owned(),
            "/console?office=DA".to_owned(),
            "/console/audit?office=DA".to_owned(),
            format!("/console/users/{other}"),
            "/api/v1/console/offices/DA".to_owned(),
            "/api/v1/console/dashboard?office=DA".to_owned(),
            "/api/v1/console/audit?office=DA".to_owned(),
            // Not there at all: the same answer.
            "/console/offices/XX".to_owned(),
            "/api/v1/console/offices/XX".to_owned(),
            "/console/users/999999".to_owned(),
        ] {
            assert_eq!(b.get(&path).await.status(), 404, "{path}");
        }
        let res = b.post(&format!("/console/users/{other}/role"), &[("csrf", &csrf), ("role", "research")]).await;
        assert_eq!(res.status(), 404);
        // Creating an account in another office is refused the same way.
        let res = b.post("/console/users", &[
            ("csrf", &csrf), ("username", "sneaky"), ("display_name", "x"), ("role", "research"),
            ("office", "DA"), ("county", ""), ("password", "long enough password"),
        ]).await;
        assert_eq!(res.status(), 404);
        // Own office works.
        assert_eq!(b.get("/console/offices/JS").await.status(), 200);
        assert_eq!(b.get(&format!("/console/users/{js_director}")).await.status(), 200);
        let role: String = users::table.find(da_director).select(users::role).first(&mut conn).unwrap();
        assert_eq!(role, "director", "nothing changed");
        assert!(manyi::auth::find_user_by_username(&mut conn, "sneaky").unwrap().is_none());

        // A county administrator: its county, never another.
        let k = Browser::new(&app);
        k.login("kinmen").await;
        assert_eq!(k.get("/console/offices/JC").await.status(), 200);
        assert_eq!(k.get("/console/offices/JS").await.status(), 200);
        assert_eq!(k.get("/console/offices/DA").await.status(), 404);
        assert_eq!(k.get(&format!("/console/users/{other}")).await.status(), 404);
    }

    async fn posts_without_csrf_are_refused(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let target = user_id(&mut conn, "res-js").to_string();
        let b = Browser::new(&app);
        b.login("dir-js").await;
        let csrf = b.csrf().await;
        for fields in [vec![("role", "counter_staff")], vec![("role", "counter_staff"), ("csrf", "0000")]] {
            let res = b.post(&format!("/console/users/{target}/role"), &fields).await;
            assert_eq!(res.status(), 403);
            assert!(res.text().await.unwrap().contains("安全驗證失敗"));
        }
        assert_eq!(b.post("/logout", &[]).await.status(), 403);
        assert_eq!(b.post("/console/password", &[("current", PASSWORD), ("new", "another password 1"), ("confirm", "another password 1")]).await.status(), 403);
        // The right token from another site is refused too.
        let res = b.client
            .post(format!("{}/console/users/{target}/role", b.base))
            .header("Origin", "https://evil.example")
            .form(&[("csrf", csrf.as_str()), ("role", "counter_staff")])
            .send().await.unwrap();
        assert_eq!(res.status(), 403);
        let role: String = users::table.filter(users::username.eq("res-js")).select(users::role).first(&mut conn).unwrap();
        assert_eq!(role, "research", "nothing changed");
        assert_eq!(b.get("/console").await.status(), 200, "still logged in");
        // Login itself needs its token.
        let fresh = Browser::new(&app);
        let res = fresh.post("/login", &[("username", "dir-js"), ("password", PASSWORD), ("csrf", "x")]).await;
        assert_eq!(res.status(), 403);
        // With the token, the role change goes through and is audited.
        let res = b.post(&format!("/console/users/{target}/role"), &[("csrf", &csrf), ("role", "counter_staff")]).await;
        assert_eq!(res.status(), 303);
        let actions = audit_actions(&mut conn);
        assert!(actions.contains(&("role_changed".into(), "user:res-js".into())), "{actions:?}");
        // A director may not make directors.
        let res = b.post(&format!("/console/users/{target}/role"), &[("csrf", &csrf), ("role", "director")]).await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("role"));
    }

    async fn repeated_failures_slow_the_account_down(engine) {
        let app = spawn_app_with(engine, |s| s.login_first_delay_seconds = 60).await;
        seed_org(&mut app.conn());
        let b = Browser::new(&app);
        for _ in 0..3 {
            let res = b.login_with("dir-js", "wrong password!").await;
            assert_eq!(res.status(), 401);
            assert!(res.text().await.unwrap().contains("帳號或密碼錯誤"));
        }
        // Now the account waits a minute at this address, even with the right
        // password (which is not checked), with a clear message.
        let res = b.login_with("dir-js", PASSWORD).await;
        assert_eq!(res.status(), 429);
        let retry: i64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((55..=60).contains(&retry), "{retry}");
        let html = res.text().await.unwrap();
        assert!(html.contains("此帳號近來登入失敗次數較多"), "{html}");
        assert!(html.contains(&format!("{retry} 秒後再試")), "{html}");
        // Other accounts are not slowed by it.
        Browser::new(&app).login("dir-jc").await;
        let actions = audit_actions(&mut app.conn());
        let failed = actions.iter().filter(|a| a.0 == "login_failed" && a.1 == "user:dir-js").count();
        assert_eq!(failed, 3);
        assert!(actions.iter().any(|a| a.0 == "login_throttled"));
    }

    async fn sessions_expire(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        let b = Browser::new(&app);
        b.login("dir-js").await;
        assert_eq!(b.get("/console").await.status(), 200);
        // Idle for 31 minutes.
        diesel::update(sessions::table)
            .set(sessions::last_seen_at.eq(Utc::now().naive_utc() - Duration::minutes(31)))
            .execute(&mut conn).unwrap();
        assert_eq!(b.get("/console").await.status(), 303);
        assert_eq!(b.get("/api/v1/console/dashboard").await.status(), 401);
        let left: i64 = sessions::table.count().get_result(&mut conn).unwrap();
        assert_eq!(left, 0, "the expired session is removed");
        // Past the absolute limit, however active.
        b.login("dir-js").await;
        diesel::update(sessions::table)
            .set(sessions::expires_at.eq(Utc::now().naive_utc() - Duration::seconds(1)))
            .execute(&mut conn).unwrap();
        assert_eq!(b.get("/console").await.status(), 303);
    }

    async fn password_change_ends_other_sessions(engine) {
        let app = spawn_app(engine).await;
        seed_org(&mut app.conn());
        let phone = Browser::new(&app);
        phone.login("dir-js").await;
        let desk = Browser::new(&app);
        desk.login("dir-js").await;
        let csrf = desk.csrf().await;
        let res = desk.post("/console/password", &[("csrf", &csrf), ("current", "not it at all"), ("new", "new password 2026"), ("confirm", "new password 2026")]).await;
        assert_eq!(res.status(), 400);
        let res = desk.post("/console/password", &[("csrf", &csrf), ("current", PASSWORD), ("new", "short"), ("confirm", "short")]).await;
        assert_eq!(res.status(), 400);
        let res = desk.post("/console/password", &[("csrf", &csrf), ("current", PASSWORD), ("new", "new password 2026"), ("confirm", "new password 2026")]).await;
        assert_eq!(res.status(), 303);
        assert_eq!(desk.get("/console").await.status(), 200, "this session stays");
        assert_eq!(phone.get("/console").await.status(), 303, "the other one ends");
        assert_eq!(Browser::new(&app).login_with("dir-js", PASSWORD).await.status(), 401);
        assert_eq!(Browser::new(&app).login_with("dir-js", "new password 2026").await.status(), 303);
    }

    async fn directors_create_staff_accounts(engine) {
        let app = spawn_app(engine).await;
        seed_org(&mut app.conn());
        let b = Browser::new(&app);
        b.login("dir-js").await;
        let csrf = b.csrf().await;
        let res = b.post("/console/users", &[
            ("csrf", &csrf), ("username", "new-clerk"), ("display_name", "新進櫃檯"), ("role", "counter_staff"),
            ("office", "JS"), ("county", ""), ("password", "first password 1"),
        ]).await;
        assert_eq!(res.status(), 303);
        Browser::new(&app).login_with("new-clerk", "first password 1").await;
        // A bad field is named.
        let res = b.post("/console/users", &[
            ("csrf", &csrf), ("username", "Bad Name"), ("display_name", "x"), ("role", "research"),
            ("office", "JS"), ("county", ""), ("password", "first password 1"),
        ]).await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("username"));
        let res = b.post("/console/users", &[("csrf", &csrf), ("username", "x")]).await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("display_name"), "missing field named");
    }

    async fn audit_log_is_append_only(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        seed_org(&mut conn);
        Browser::new(&app).login("dir-js").await;
        let n: i64 = audit_log::table.count().get_result(&mut conn).unwrap();
        assert!(n > 0);
        assert!(diesel::update(audit_log::table).set(audit_log::detail.eq("changed")).execute(&mut conn).is_err());
        assert!(diesel::delete(audit_log::table).execute(&mut conn).is_err());
        let after: i64 = audit_log::table.count().get_result(&mut conn).unwrap();
        assert_eq!(after, n);
        // Directors see their office's entries, not others'.
        Browser::new(&app).login("dir-da").await;
        let b = Browser::new(&app);
        b.login("dir-js").await;
        let body: Value = b.get("/api/v1/console/audit").await.json().await.unwrap();
        let targets: Vec<&str> = body["entries"].as_array().unwrap().iter().map(|e| e["target"].as_str().unwrap()).collect();
        assert!(targets.contains(&"user:dir-js"));
        assert!(!targets.contains(&"user:dir-da"), "{targets:?}");
    }
}

on_both_engines! {
    async fn dashboard_figures_match_hand_counts(engine) {
        use chrono::{Datelike, TimeZone};
        use manyi::survey::{self, AnswerValue, IdempotencyKey, NewResponse};
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        let org = seed_org(&mut conn);
        let state = crate::helpers::prepare(&app.db);
        let form = &state.catalog.get("counter").unwrap().form;
        // Stored as a kiosk would; who may answer is not what this test is about.
        let typed_in = manyi::forms::Form { access: manyi::forms::Access::Public, ..form.clone() };
        let version = state.form_version_ids["counter"];
        let taipei = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        let now = Utc::now().with_timezone(&taipei);
        // Noon today (Taipei), and noon on the 15th of this month last year.
        let today_noon = taipei.with_ymd_and_hms(now.year(), now.month(), now.day(), 12, 0, 0).unwrap();
        let last_year = taipei.with_ymd_and_hms(now.year() - 1, now.month(), 15, 12, 0, 0).unwrap();
        let mut n = 0;
        let mut add = |office: i32, at: chrono::DateTime<chrono::FixedOffset>, overall: i64| {
            n += 1;
            let answers = [
                "staff_attitude", "staff_efficiency", "waiting_time", "staff_expertise",
                "process_design", "facilities", "cleanliness", "wayfinding",
            ]
            .iter()
            .map(|k| (k.to_string(), AnswerValue::Number(4)))
            .chain([("overall".to_string(), AnswerValue::Number(overall))])
            .collect();
            let new = NewResponse {
                idempotency_key: IdempotencyKey::parse(&format!("dash-{n:06}")).unwrap(),
                office_id: office,
                channel: manyi::forms::Channel::Counter,
                form_version_id: version,
                submitted_at: at.naive_utc(),
                counter_id: None,
                staff_id: None,
                device_id: None,
                answers,
                survey_token: None,
                submitted_by: None,
            };
            survey::store_response(&mut conn, &typed_in, &new).unwrap();
        };
        // 金沙 today: overall 5, 4, 3, 2 → 4 responses, 2 of 4 satisfied (50.0 %).
        for s in [5, 4, 3, 2] { add(org.js.id, today_noon, s); }
        // 金沙 last year: 5, 5, 5, 1 → 3 of 4 (75.0 %).
        for s in [5, 5, 5, 1] { add(org.js.id, last_year, s); }
        // 大安 today: one 5, not in 金沙's figures.
        add(org.da.id, today_noon, 5);

        let b = Browser::new(&app);
        b.login("dir-js").await;
        let body: Value = b.get("/api/v1/console/dashboard").await.json().await.unwrap();
        let js = &body["offices"][0];
        assert_eq!(js["code"], "JS");
        assert_eq!(js["today"], 4);
        assert_eq!(js["month"], 4);
        assert_eq!(js["month_rate"]["rated"], 4);
        assert_eq!(js["month_rate"]["satisfied"], 2);
        assert_eq!(js["last_year_month_rate"]["rated"], 4);
        assert_eq!(js["last_year_month_rate"]["satisfied"], 3);
        let html = b.get("/console").await.text().await.unwrap();
        assert!(html.contains("50.0%") && html.contains("75.0%") && html.contains("-25.0"), "{html}");

        let admin = Browser::new(&app);
        admin.login("admin").await;
        let html = admin.get("/console").await.text().await.unwrap();
        // All offices: 5 responses today, 3 of 5 satisfied = 60.0 %.
        assert!(html.contains("全部事務所") && html.contains("60.0%"), "{html}");
    }
}
