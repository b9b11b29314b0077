//! What a person reads is words, never identifiers: the register's pages
//! (the open cases and a case with its history) show no value of the
//! register's enumerations (channels, statuses, deadline kinds, legal
//! reasons, actions) as its code, in either language. Both engines.

use manyi::calendar::Calendar;
use manyi::cases::{self, Action, CaseChannel, CaseStatus, DeadlineKind, NotAcceptedReason};

use crate::helpers::{Browser, on_both_engines, seed_org, spawn_app, user};

/// Every code of the register's enumerations a page could print.
fn identifiers() -> Vec<String> {
    let mut ids: Vec<String> = CaseChannel::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    ids.extend(CaseStatus::ALL.iter().map(|s| s.as_str().to_owned()));
    ids.extend(DeadlineKind::ALL.iter().map(|d| d.as_str().to_owned()));
    ids.extend(NotAcceptedReason::ALL.iter().map(|r| r.as_str().to_owned()));
    ids.extend(
        [
            "accept",
            "not_accept",
            "assign",
            "preliminary_reply",
            "reply",
            "close",
            "transfer",
            "extend",
            "reopen",
            "citizen_rating",
        ]
        .map(str::to_owned),
    );
    ids.sort();
    ids.dedup();
    ids
}

/// The text a person reads: tags and attribute values left out.
fn visible_text(html: &str) -> String {
    let body = html.split("<main>").nth(1).unwrap_or(html);
    let mut out = String::new();
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn shown_identifiers(html: &str) -> Vec<String> {
    let text = visible_text(html);
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    identifiers()
        .into_iter()
        .filter(|id| words.iter().any(|w| w == id))
        .collect()
}

on_both_engines! {
    async fn the_register_speaks_in_words(engine) {
        let app = spawn_app(engine).await;
        let (open_no, closed_no) = {
            let conn = &mut app.conn();
            let org = seed_org(conn);
            let director = user(conn, "dir-js");
            let cal = Calendar::shipped();
            let today = chrono::Utc::now().date_naive();
            let open = cases::register_case(conn, &cal, &crate::helpers::petition(org.js.id, CaseChannel::PetitionEmail), Some(&director)).unwrap();
            for a in [Action::Accept { deadline: DeadlineKind::OtherUnit }, Action::Assign { user_id: director.id }] {
                cases::apply(conn, &cal, &director, open.id, &a, "", today).unwrap();
            }
            let closed = cases::register_case(conn, &cal, &crate::helpers::petition(org.js.id, CaseChannel::Hotline1999), Some(&director)).unwrap();
            for a in [Action::NotAccept { reason: NotAcceptedReason::AlreadyAnswered }, Action::Close] {
                cases::apply(conn, &cal, &director, closed.id, &a, "", today).unwrap();
            }
            (open.case_no, closed.case_no)
        };
        let b = Browser::new(&app);
        b.login("dir-js").await;
        for lang in ["zh-TW", "en"] {
            if lang == "en" {
                assert_eq!(b.get("/console/lang?to=en&next=/console").await.status(), 303);
            }
            for path in ["/console/cases".to_owned(), format!("/console/cases/{open_no}"), format!("/console/cases/{closed_no}")] {
                let html = b.get(&path).await.text().await.unwrap();
                // In English, `reply` or `mailbox` are words too; codes with `_` never are.
                let shown: Vec<String> = shown_identifiers(&html)
                    .into_iter()
                    .filter(|id| lang == "zh-TW" || id.contains('_'))
                    .collect();
                assert!(shown.is_empty(), "{lang} {path} shows identifiers {shown:?}");
            }
        }
        // The words themselves: the case page in English, the history as sentences.
        let html = b.get(&format!("/console/cases/{open_no}")).await.text().await.unwrap();
        for want in ["Petition by e-mail", "Assigned", "accepted", "With another unit", "assigned a handler"] {
            assert!(html.contains(want), "`{want}` missing");
        }
        assert!(!html.contains("{\""), "raw JSON in the history");
        assert!(b.get("/console/lang?to=zh-TW&next=/console").await.status().is_redirection());
        let html = b.get(&format!("/console/cases/{closed_no}")).await.text().await.unwrap();
        for want in ["1999 市民專線", "已結案", "不受理", "同一事由經適當處理並已明確答覆後重複陳情"] {
            assert!(html.contains(want), "`{want}` missing");
        }
    }
}

#[test]
fn the_check_finds_an_identifier() {
    // The check itself can fail: a code in the text is found, one in an attribute is not.
    assert_eq!(
        shown_identifiers("<main><td>not_accepted</td>"),
        ["not_accepted"]
    );
    assert!(shown_identifiers("<main><option value=\"not_accept\">不受理</option>").is_empty());
}

on_both_engines! {
    async fn the_audit_log_speaks_in_words(engine) {
        use manyi::admin::{self, Actor};
        let app = spawn_app(engine).await;
        {
            let conn = &mut app.conn();
            let org = seed_org(conn);
            let counter = manyi::offices::details::CounterDetails::parse(&manyi::offices::details::CounterInput {
                code: "8".into(),
                name_zh: "8 號櫃檯".into(),
                name_en: String::new(),
            })
            .unwrap();
            admin::save_counter(conn, Actor::system(), &org.js.code, &counter).unwrap();
            admin::set_counter_active(conn, Actor::system(), &org.js.code, "8", false).unwrap();
        }
        let b = Browser::new(&app);
        b.login("admin").await;
        let html = b.get("/console/audit").await.text().await.unwrap();
        for want in ["建立櫃檯", "停用櫃檯", "櫃檯 JS/8", "登入", "建立帳號", "帳號 dir-js"] {
            assert!(html.contains(want), "`{want}` missing from the audit log");
        }
        let text = visible_text(&html);
        for code in ["counter_created", "counter_deactivated", "user_created", "counter:JS/8", "user:dir-js"] {
            assert!(!text.contains(code), "the audit log shows `{code}`");
        }
    }
}
