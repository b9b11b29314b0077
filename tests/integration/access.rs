//! The role × route × office matrix: every console page, console action and
//! staff API, asked by each role of the test organisation (and anonymously)
//! about office JS (金沙, 金門縣). The expected status of every cell is data
//! below, written from the rules in the README's security section, not read
//! off the code: a change of behaviour anywhere fails here.
//!
//! Columns: anonymous, `ctr-js`, `res-js`, `dir-js` (JS's own staff);
//! `dir-jc` (another office of the same county), `dir-da` (another county);
//! `kinmen` (county administrator of JS's county), `admin` (system).

use diesel::prelude::*;
use manyi::calendar::Calendar;
use manyi::cases::{self, CaseChannel, NewCase};
use manyi::db::DbConnection;

use crate::helpers::{Browser, TestApp, on_both_engines, seed_org, spawn_app};

const WHO: [&str; 8] = [
    "", "ctr-js", "res-js", "dir-js", "dir-jc", "dir-da", "kinmen", "admin",
];

/// Reads: a path (with `{case}` and `{user}` filled in) and the statuses.
const READS: &[(&str, [u16; 8])] = &[
    ("/console", [303, 200, 200, 200, 200, 200, 200, 200]),
    (
        "/console/offices/JS",
        [303, 200, 200, 200, 404, 404, 200, 200],
    ),
    ("/console/forms", [303, 200, 200, 200, 200, 200, 200, 200]),
    ("/console/users", [303, 403, 403, 200, 200, 200, 200, 200]),
    (
        "/console/users/{user}",
        [303, 403, 403, 200, 404, 404, 200, 200],
    ),
    ("/console/audit", [303, 403, 403, 200, 200, 200, 200, 200]),
    ("/console/cases", [303, 200, 200, 200, 200, 200, 200, 200]),
    (
        "/console/cases.csv",
        [303, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "/console/cases/{case}",
        [303, 200, 200, 200, 404, 404, 200, 200],
    ),
    ("/console/kiosks", [303, 403, 403, 200, 200, 200, 200, 200]),
    ("/console/alerts", [303, 403, 403, 200, 200, 200, 200, 200]),
    ("/console/reports", [303, 403, 200, 200, 200, 200, 200, 200]),
    (
        "/console/reports/measures?office=JS&year=113",
        [303, 403, 200, 200, 404, 404, 200, 200],
    ),
    (
        "/console/password",
        [303, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "/api/v1/console/dashboard",
        [401, 200, 200, 200, 200, 200, 200, 200],
    ),
    (
        "/api/v1/console/dashboard?office=JS",
        [401, 200, 200, 200, 404, 404, 200, 200],
    ),
    (
        "/api/v1/console/users",
        [401, 403, 403, 200, 200, 200, 200, 200],
    ),
    (
        "/api/v1/console/audit",
        [401, 403, 403, 200, 200, 200, 200, 200],
    ),
    (
        "/api/v1/console/alerts",
        [401, 403, 403, 200, 200, 200, 200, 200],
    ),
    (
        "/api/v1/console/offices/JS",
        [401, 200, 200, 200, 404, 404, 200, 200],
    ),
    (
        "/api/v1/analytics/summary?from=113&to=113&office=JS",
        [401, 403, 200, 200, 404, 404, 200, 200],
    ),
];

/// Writes: a path, the form fields (besides the CSRF token) and the statuses.
/// Each cell acts on a case of its own, so that one cell's change cannot
/// decide another's answer.
type Write = (
    &'static str,
    &'static [(&'static str, &'static str)],
    [u16; 8],
);
const WRITES: &[Write] = &[
    (
        "/console/cases/{case}/action",
        &[("action", "accept"), ("deadline", "simple")],
        [303, 403, 403, 303, 404, 404, 403, 403],
    ),
    (
        "/console/cases/{case}/action",
        &[
            ("action", "not_accept"),
            ("reason", "already_answered"),
            ("confirm", "yes"),
        ],
        [303, 403, 403, 303, 404, 404, 403, 403],
    ),
    (
        "/console/cases",
        &[
            ("office", "JS"),
            ("channel", "comment_box"),
            ("category", "waiting"),
            ("subject", "意見箱"),
            ("content", "請增加座位"),
            ("received_on", "2024-02-07"),
        ],
        [303, 303, 403, 303, 404, 404, 403, 403],
    ),
    (
        "/console/offices/JS/deadlines",
        &[("kind", "simple"), ("days", "4")],
        [303, 403, 403, 303, 404, 404, 303, 303],
    ),
    (
        "/console/offices/JS/alert-threshold",
        &[("threshold", "1")],
        [303, 403, 403, 303, 404, 404, 303, 303],
    ),
    (
        "/console/kiosks/enrol",
        &[("counter_id", "{counter}"), ("label", "平板")],
        [303, 403, 403, 200, 404, 404, 200, 200],
    ),
    (
        "/console/survey-links",
        &[("office", "JS"), ("form", "staff"), ("count", "1")],
        [303, 403, 403, 200, 404, 404, 200, 200],
    ),
    (
        "/console/reports/measures",
        &[
            ("office", "JS"),
            ("year", "113"),
            ("kind", "item"),
            ("key", "waiting_time"),
            ("measure", "增開櫃檯"),
        ],
        [303, 403, 303, 303, 404, 404, 303, 303],
    ),
];

fn new_case(conn: &mut DbConnection, office_id: i32) -> String {
    let director = crate::helpers::user(conn, "dir-js");
    let new = NewCase {
        office_id,
        channel: CaseChannel::PetitionWritten,
        category_code: "waiting".into(),
        subject: "等候".into(),
        content: "等了很久".into(),
        petitioner_name: Some("王小明".into()),
        petitioner_contact: None,
        language: "zh-TW".into(),
        confidential: false,
        received_on: chrono::NaiveDate::from_ymd_opt(2024, 2, 7).unwrap(),
        lookup_secret_hash: None,
        idempotency_key: None,
    };
    cases::register_case(conn, &Calendar::shipped(), &new, Some(&director))
        .unwrap()
        .case_no
}

async fn browsers(app: &TestApp) -> Vec<(Browser, String)> {
    let mut out = Vec::new();
    for who in WHO {
        let b = Browser::new(app);
        let csrf = if who.is_empty() {
            String::new()
        } else {
            b.login(who).await;
            b.csrf().await
        };
        out.push((b, csrf));
    }
    out
}

on_both_engines! {
    async fn every_role_gets_what_the_rules_say(engine) {
        let app = spawn_app(engine).await;
        let mut conn = app.conn();
        let org = seed_org(&mut conn);
        let case = new_case(&mut conn, org.js.id);
        let user_id = crate::helpers::user(&mut conn, "dir-js").id.to_string();
        let counter = manyi::offices::create_counters(&mut conn, &[manyi::offices::NewCounter {
            office_id: org.js.id, code: "9", name_zh: "9 號櫃檯", name_en: "Counter 9" }]).unwrap()
            .into_iter().find(|c| c.office_id == org.js.id).unwrap().id.to_string();
        let people = browsers(&app).await;
        let mut wrong = Vec::new();
        for (path, expected) in READS {
            let path = path.replace("{case}", &case).replace("{user}", &user_id);
            for (i, (b, _)) in people.iter().enumerate() {
                let got = b.get(&path).await.status().as_u16();
                if got != expected[i] {
                    wrong.push(format!("GET {path} as {:?}: {got}, expected {}", WHO[i], expected[i]));
                }
            }
        }
        for (path, fields, expected) in WRITES {
            for (i, (b, csrf)) in people.iter().enumerate() {
                let path = path.replace("{case}", &new_case(&mut conn, org.js.id));
                let mut form: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
                for (k, v) in fields.iter() {
                    form.push((k, if *v == "{counter}" { counter.as_str() } else { v }));
                }
                let got = b.post(&path, &form).await.status().as_u16();
                if got != expected[i] {
                    wrong.push(format!("POST {path} {fields:?} as {:?}: {got}, expected {}", WHO[i], expected[i]));
                }
            }
        }
        assert!(wrong.is_empty(), "{} cells differ:\n{}", wrong.len(), wrong.join("\n"));
        // Refusals changed nothing: only the allowed cells' cases moved on.
        use manyi::db::schema::cases as c;
        let accepted: i64 = c::table.filter(c::status.eq("accepted")).count().get_result(&mut conn).unwrap();
        let rejected: i64 = c::table.filter(c::status.eq("not_accepted")).count().get_result(&mut conn).unwrap();
        assert_eq!((accepted, rejected), (1, 1));
    }
}
