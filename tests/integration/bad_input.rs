//! Hostile input in every public and console text field: NUL and other
//! control characters, text that is not UTF-8, over-long text, spreadsheet
//! formula prefixes. Never a 5xx; what is refused changes nothing.

use diesel::prelude::*;
use manyi::db::DbConnection;
use serde_json::json;

use crate::helpers::{
    Browser, TestApp, hidden_csrf, on_both_engines, post_json, seed_org, spawn_app_with,
};

/// Rows of every table a form could write to.
fn rows(conn: &mut DbConnection) -> Vec<i64> {
    use manyi::db::schema::*;
    vec![
        cases::table.count().get_result(conn).unwrap(),
        case_events::table.count().get_result(conn).unwrap(),
        responses::table.count().get_result(conn).unwrap(),
        answers::table.count().get_result(conn).unwrap(),
        improvement_measures::table
            .count()
            .get_result(conn)
            .unwrap(),
        users::table.count().get_result(conn).unwrap(),
        survey_tokens::table.count().get_result(conn).unwrap(),
        device_enrolments::table.count().get_result(conn).unwrap(),
        case_deadline_rules::table.count().get_result(conn).unwrap(),
    ]
}

/// Values that must be refused, as they go on the wire (already encoded).
fn refused_values() -> Vec<(&'static str, String)> {
    let enc = |s: &str| serde_urlencoded::to_string([("", s)]).unwrap()[1..].to_owned();
    vec![
        ("NUL", enc("a\u{0}b")),
        ("ESC", enc("a\u{1b}[2Jb")),
        ("vertical tab", enc("a\u{b}b")),
        ("DEL", enc("a\u{7f}")),
        ("C1 NEL", enc("a\u{85}b")),
        ("not UTF-8", "%FF%FEab".to_owned()),
        ("lone surrogate half", "%ED%A0%80".to_owned()),
        ("over 64 KiB", "x".repeat(70 * 1024)),
    ]
}

/// Texts that are fine to store (and must be neutralised in exports).
const FORMULAS: [&str; 4] = [
    "=HYPERLINK(\"http://x\",\"y\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
];

struct Form {
    path: String,
    fields: Vec<(&'static str, String)>,
    /// Fields whose text is free (formula-like text may be stored).
    attack: Vec<&'static str>,
    /// Fetch a fresh CSRF token from this page for every post (public forms).
    csrf_page: Option<&'static str>,
}

fn body(fields: &[(&'static str, String)], csrf: &str, field: &str, raw: &str) -> String {
    let mut parts: Vec<String> = vec![format!("csrf={csrf}")];
    for (k, v) in fields {
        if *k == field {
            parts.push(format!("{k}={raw}"));
        } else {
            parts.push(serde_urlencoded::to_string([(k, v)]).unwrap());
        }
    }
    parts.join("&")
}

async fn post_raw(b: &Browser, path: &str, body: String) -> u16 {
    b.client
        .post(format!("{}{path}", b.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn csrf_for(b: &Browser, form: &Form, staff_csrf: &str) -> String {
    match form.csrf_page {
        Some(page) => hidden_csrf(&b.get(page).await.text().await.unwrap()),
        None => staff_csrf.to_owned(),
    }
}

async fn sweep(
    app: &TestApp,
    b: &Browser,
    staff_csrf: &str,
    forms: &[Form],
    conn: &mut DbConnection,
) {
    let mut problems = Vec::new();
    for form in forms {
        for field in &form.attack {
            for (what, raw) in refused_values() {
                let before = rows(conn);
                let csrf = csrf_for(b, form, staff_csrf).await;
                let status = post_raw(b, &form.path, body(&form.fields, &csrf, field, &raw)).await;
                if !(400..500).contains(&status) {
                    problems.push(format!("{} {field} {what}: {status}", form.path));
                }
                if rows(conn) != before {
                    problems.push(format!(
                        "{} {field} {what}: something was stored",
                        form.path
                    ));
                }
            }
            for text in FORMULAS {
                let csrf = csrf_for(b, form, staff_csrf).await;
                let raw = serde_urlencoded::to_string([("", text)]).unwrap()[1..].to_owned();
                let status = post_raw(b, &form.path, body(&form.fields, &csrf, field, &raw)).await;
                if status >= 500 {
                    problems.push(format!("{} {field} {text}: {status}", form.path));
                }
            }
        }
    }
    let _ = app;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

on_both_engines! {
    async fn hostile_text_in_every_field(engine) {
        let app = spawn_app_with(engine, |s| s.public_rate_per_minute = 100_000).await;
        let mut conn = app.conn();
        let org = seed_org(&mut conn);
        let director = crate::helpers::user(&mut conn, "dir-js");
        let case = manyi::cases::register_case(&mut conn, &manyi::calendar::Calendar::shipped(), &manyi::cases::NewCase {
            office_id: org.js.id, channel: manyi::cases::CaseChannel::PetitionWritten, category_code: "waiting".into(),
            subject: "等候".into(), content: "等了很久".into(), petitioner_name: None, petitioner_contact: None,
            language: "zh-TW".into(), confidential: false,
            received_on: chrono::NaiveDate::from_ymd_opt(2024, 2, 7).unwrap(), lookup_secret_hash: None, idempotency_key: None,
        }, Some(&director)).unwrap();
        let s = |v: &str| v.to_owned();
        let public = [
            Form {
                path: "/mailbox/JS".into(),
                fields: vec![("category", s("waiting")), ("subject", s("主旨")), ("content", s("內容")),
                             ("name", s("王小明")), ("contact", s("0912345678")), ("language", s("zh-TW"))],
                attack: vec!["category", "subject", "content", "name", "contact", "language"],
                csrf_page: Some("/mailbox/JS"),
            },
            Form {
                path: "/cases/lookup".into(),
                fields: vec![("case_no", case.case_no.clone()), ("secret", s("ABCDEFGHJK"))],
                attack: vec!["case_no", "secret"],
                csrf_page: Some("/cases/lookup"),
            },
            Form {
                path: "/login".into(),
                fields: vec![("username", s("nobody")), ("password", s("x")), ("next", s("/console"))],
                attack: vec!["username", "password", "next"],
                csrf_page: Some("/login"),
            },
        ];
        let citizen = Browser::new(&app);
        sweep(&app, &citizen, "", &public, &mut conn).await;

        let d = Browser::new(&app);
        d.login("dir-js").await;
        let csrf = d.csrf().await;
        let staff = [
            Form {
                path: "/console/cases".into(),
                fields: vec![("office", s("JS")), ("channel", s("comment_box")), ("category", s("waiting")),
                             ("subject", s("意見")), ("content", s("內容")), ("petitioner_name", s("王小明")),
                             ("petitioner_contact", s("0912")), ("language", s("zh-TW")), ("received_on", s("2024-02-07"))],
                attack: vec!["office", "channel", "category", "subject", "content", "petitioner_name", "petitioner_contact", "received_on"],
                csrf_page: None,
            },
            Form {
                path: format!("/console/cases/{}/action", case.case_no),
                fields: vec![("action", s("transfer")), ("agency", s("內政部")), ("notice", s("已通知")), ("note", s("備註")), ("confirm", s("yes"))],
                attack: vec!["action", "agency", "notice", "note"],
                csrf_page: None,
            },
            Form {
                path: "/console/reports/measures".into(),
                fields: vec![("office", s("JS")), ("year", s("113")), ("kind", s("item")), ("key", s("waiting_time")),
                             ("measure", s("增開櫃檯")), ("responsible", s("戶籍課"))],
                attack: vec!["office", "year", "kind", "key", "measure", "responsible"],
                csrf_page: None,
            },
            Form {
                path: "/console/users".into(),
                fields: vec![("username", s("new-user")), ("display_name", s("新同仁")), ("role", s("counter_staff")),
                             ("office", s("JS")), ("password", s("correct horse battery staple"))],
                attack: vec!["username", "display_name", "role", "office", "password"],
                csrf_page: None,
            },
            Form {
                path: "/console/survey-links".into(),
                fields: vec![("office", s("JS")), ("form", s("staff")), ("count", s("1"))],
                attack: vec!["office", "form", "count"],
                csrf_page: None,
            },
            Form {
                path: "/console/offices/JS/deadlines".into(),
                fields: vec![("kind", s("simple")), ("days", s("4"))],
                attack: vec!["kind", "days"],
                csrf_page: None,
            },
        ];
        sweep(&app, &d, &csrf, &staff, &mut conn).await;

        // The JSON API: every string of a submission.
        let url = format!("{}/api/v1/responses", app.address);
        let before = rows(&mut conn);
        for (i, bad) in ["a\u{0}b", "\u{1b}[0m", "\u{85}"].into_iter().enumerate() {
            for field in ["form", "version", "idempotency_key", "channel", "office", "survey_token", "website"] {
                let mut sub = crate::helpers::web_submission(&format!("json-bad-{i}-{field}-0001"), 4);
                sub[field] = json!(bad);
                let res = post_json(&app.client, &url, &sub).await;
                assert!((400..500).contains(&res.status().as_u16()), "{field}: {}", res.status());
            }
            for item in ["comment", "services_used"] {
                let mut sub = crate::helpers::web_submission(&format!("json-bad-{i}-{item}-0001"), 4);
                sub["answers"][item] = if item == "services_used" { json!([bad]) } else { json!(bad) };
                let res = post_json(&app.client, &url, &sub).await;
                assert_eq!(res.status(), 400, "answers.{item}");
            }
        }
        let res = app.client.post(&url).header("content-type", "application/json")
            .body(b"{\"form\":\"web\",\"comment\":\"\xff\"}".to_vec()).send().await.unwrap();
        assert_eq!(res.status(), 400, "not UTF-8");
        assert_eq!(rows(&mut conn), before);
    }
}
