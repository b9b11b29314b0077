//! The complaint register's lifecycle on both engines: every allowed and
//! refused transition, deadlines on the office calendar, scope, history.

use chrono::NaiveDate;
use diesel::prelude::*;
use manyi::calendar::Calendar;
use manyi::cases::{
    self, Action, CaseChannel, CaseError, CaseStatus, DeadlineKind, NewCase, NotAcceptedReason,
};
use manyi::db::DbConnection;

use crate::helpers::{TestDb, on_both_engines, seed_org, user};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The allowed actions per status, written out from the rules (not from the code).
fn allowed(status: CaseStatus) -> &'static [&'static str] {
    use CaseStatus::*;
    match status {
        Received => &["accept", "not_accept", "transfer"],
        Accepted => &["assign", "transfer", "extend"],
        NotAccepted => &["close", "reopen"],
        Assigned => &["assign", "preliminary_reply", "reply", "transfer", "extend"],
        PreliminaryReply => &["reply", "extend"],
        Replied => &["close", "reopen"],
        Closed => &["reopen"],
        Transferred => &[],
    }
}

fn actions(assignee: i32) -> Vec<Action> {
    vec![
        Action::Accept {
            deadline: DeadlineKind::OtherUnit,
        },
        Action::NotAccept {
            reason: NotAcceptedReason::AlreadyAnswered,
        },
        Action::Assign { user_id: assignee },
        Action::PreliminaryReply,
        Action::Reply {
            reply: "已改善叫號系統，感謝指教。".into(),
        },
        Action::Close,
        Action::Transfer {
            agency: "金門縣政府民政處".into(),
            notice_to_petitioner: "已函知陳情人".into(),
        },
        Action::Extend {
            reason: "需會辦其他單位".into(),
            new_due: d(2024, 3, 29),
            notice_to_petitioner: "已電話告知".into(),
        },
        Action::Reopen {
            reason: "民眾再次反映".into(),
        },
    ]
}

fn path_to(status: CaseStatus, assignee: i32) -> Vec<Action> {
    use CaseStatus::*;
    let a = actions(assignee);
    let (accept, not_accept, assign, prelim, reply, close, transfer) = (
        a[0].clone(),
        a[1].clone(),
        a[2].clone(),
        a[3].clone(),
        a[4].clone(),
        a[5].clone(),
        a[6].clone(),
    );
    match status {
        Received => vec![],
        Accepted => vec![accept],
        NotAccepted => vec![not_accept],
        Assigned => vec![accept, assign],
        PreliminaryReply => vec![accept, assign, prelim],
        Replied => vec![accept, assign, reply],
        Closed => vec![accept, assign, reply, close],
        Transferred => vec![transfer],
    }
}

fn new_case(office_id: i32) -> NewCase {
    NewCase {
        office_id,
        channel: CaseChannel::Mailbox,
        category_code: "waiting".into(),
        subject: "等候時間過長".into(),
        content: "中午只開一個櫃檯，等了四十分鐘。".into(),
        petitioner_name: Some("王小明".into()),
        petitioner_contact: Some("0912345678".into()),
        language: "zh-TW".into(),
        confidential: false,
        received_on: d(2024, 2, 7),
        lookup_secret_hash: None,
        idempotency_key: None,
    }
}

on_both_engines! {
    async fn every_transition_allowed_or_refused(engine) {
        let db = TestDb::new(engine);
        let mut conn = db.pool().get().unwrap();
        let org = seed_org(&mut conn);
        let director = user(&mut conn, "dir-js");
        let handler = user(&mut conn, "res-js").id;
        let cal = Calendar::shipped();
        let today = d(2024, 2, 15);
        for status in CaseStatus::ALL {
            for action in actions(handler) {
                let case = cases::register_case(&mut conn, &cal, &new_case(org.js.id), Some(&director)).unwrap();
                for step in path_to(status, handler) {
                    cases::apply(&mut conn, &cal, &director, case.id, &step, "", today).unwrap();
                }
                let before = cases::get_case(&mut conn, &director.scope(), case.id).unwrap();
                assert_eq!(before.status, status);
                let events_before = cases::case_events(&mut conn, case.id).unwrap().len();
                let result = cases::apply(&mut conn, &cal, &director, case.id, &action, "說明", today);
                let expected = allowed(status).contains(&action.name());
                match result {
                    Ok(after) => {
                        assert!(expected, "{} should be refused when {status}", action.name());
                        let events = cases::case_events(&mut conn, case.id).unwrap();
                        assert_eq!(events.len(), events_before + 1);
                        let last = events.last().unwrap();
                        assert_eq!(last.kind, action.name());
                        assert_eq!(last.from_status.as_deref(), Some(status.as_str()));
                        assert_eq!(last.to_status, after.status.as_str());
                        assert_eq!(last.actor, "dir-js");
                    }
                    Err(CaseError::IllegalTransition { from, action: name }) => {
                        assert!(!expected, "{name} should be allowed when {status}");
                        assert_eq!(from, status);
                        let after = cases::get_case(&mut conn, &director.scope(), case.id).unwrap();
                        assert_eq!(after, before, "a refused action changes nothing");
                        assert_eq!(cases::case_events(&mut conn, case.id).unwrap().len(), events_before);
                    }
                    Err(other) => panic!("{} when {status}: {other}", action.name()),
                }
            }
        }
    }

    async fn deadlines_follow_the_office_calendar(engine) {
        let db = TestDb::new(engine);
        let mut conn = db.pool().get().unwrap();
        let org = seed_org(&mut conn);
        let director = user(&mut conn, "dir-js");
        let cal = Calendar::shipped();
        // Mailbox, received Wed 2024-02-07 before Lunar New Year: 3 working days → Sat 02-17 (補行上班).
        let case = cases::register_case(&mut conn, &cal, &new_case(org.js.id), Some(&director)).unwrap();
        assert_eq!(case.due_on, d(2024, 2, 17));
        assert!(!case.due_assumed);
        assert!(case.case_no.starts_with("JS-113-"), "{}", case.case_no);
        // Accepted as needing another unit: 5 working days → Tue 02-20.
        let case = cases::apply(&mut conn, &cal, &director, case.id,
            &Action::Accept { deadline: DeadlineKind::OtherUnit }, "", d(2024, 2, 15)).unwrap();
        assert_eq!(case.due_on, d(2024, 2, 20));
        // An office's own rule wins over the default.
        diesel::insert_into(manyi::db::schema::case_deadline_rules::table)
            .values((
                manyi::db::schema::case_deadline_rules::office_id.eq(org.js.id),
                manyi::db::schema::case_deadline_rules::kind.eq("mailbox"),
                manyi::db::schema::case_deadline_rules::working_days.eq(1i16),
            ))
            .execute(&mut conn).unwrap();
        let second = cases::register_case(&mut conn, &cal, &new_case(org.js.id), Some(&director)).unwrap();
        assert_eq!(second.due_on, d(2024, 2, 15));
        assert_eq!(second.case_no, case.case_no.replace("00001", "00002"));
        // Extensions: after the current due date, on a working day, with reason and notice.
        for (new_due, field) in [(d(2024, 2, 19), "new_due"), (d(2024, 2, 24), "new_due")] {
            match cases::apply(&mut conn, &cal, &director, case.id, &Action::Extend {
                reason: "需會辦".into(), new_due, notice_to_petitioner: "已告知".into() }, "", d(2024, 2, 15)) {
                Err(CaseError::Invalid { field: f, .. }) => assert_eq!(f, field),
                other => panic!("{other:?}"),
            }
        }
        let extended = cases::apply(&mut conn, &cal, &director, case.id, &Action::Extend {
            reason: "需會辦".into(), new_due: d(2024, 3, 5), notice_to_petitioner: "已以電子郵件告知".into() }, "", d(2024, 2, 15)).unwrap();
        assert_eq!(extended.due_on, d(2024, 3, 5));
        let events = cases::case_events(&mut conn, case.id).unwrap();
        assert!(events.last().unwrap().detail.contains("已以電子郵件告知"));
    }

    async fn scope_handlers_and_history(engine) {
        let db = TestDb::new(engine);
        let mut conn = db.pool().get().unwrap();
        let org = seed_org(&mut conn);
        let js = user(&mut conn, "dir-js");
        let da = user(&mut conn, "dir-da");
        let cal = Calendar::shipped();
        let case = cases::register_case(&mut conn, &cal, &new_case(org.js.id), Some(&js)).unwrap();
        // Another office: not found, not changed; nor may it register cases here.
        assert!(matches!(cases::get_case(&mut conn, &da.scope(), case.id), Err(CaseError::Auth(_))));
        assert!(matches!(
            cases::apply(&mut conn, &cal, &da, case.id, &Action::Accept { deadline: DeadlineKind::Simple }, "", d(2024, 2, 8)),
            Err(CaseError::Auth(_))
        ));
        assert!(matches!(cases::register_case(&mut conn, &cal, &new_case(org.js.id), Some(&da)), Err(CaseError::Auth(_))));
        // The handler must belong to the case's office.
        cases::apply(&mut conn, &cal, &js, case.id, &Action::Accept { deadline: DeadlineKind::Simple }, "", d(2024, 2, 8)).unwrap();
        match cases::apply(&mut conn, &cal, &js, case.id, &Action::Assign { user_id: da.id }, "", d(2024, 2, 8)) {
            Err(CaseError::Invalid { field, .. }) => assert_eq!(field, "user_id"),
            other => panic!("{other:?}"),
        }
        // Administrators read the register; they do not handle an office's cases.
        let admin = user(&mut conn, "admin");
        assert!(matches!(
            cases::apply(&mut conn, &cal, &admin, case.id, &Action::Assign { user_id: js.id }, "", d(2024, 2, 8)),
            Err(CaseError::Auth(manyi::auth::AuthError::Forbidden))
        ));
        // Bad input names its field.
        let mut bad = new_case(org.js.id);
        bad.category_code = "weather".into();
        assert!(matches!(cases::register_case(&mut conn, &cal, &bad, Some(&js)), Err(CaseError::Invalid { field: "category", .. })));
        // The history is append-only.
        use manyi::db::schema::case_events;
        assert!(diesel::update(case_events::table).set(case_events::note.eq("x")).execute(&mut conn).is_err());
        assert!(diesel::delete(case_events::table).execute(&mut conn).is_err());
        let events = cases::case_events(&mut conn, case.id).unwrap();
        assert_eq!(events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["received", "accept"]);
    }
}

on_both_engines! {
    async fn director_figures_match_hand_counts(engine) {
        use manyi::cases::views::{self, DueState};
        let db = TestDb::new(engine);
        let mut conn = db.pool().get().unwrap();
        let org = seed_org(&mut conn);
        let director = user(&mut conn, "dir-js");
        let cal = Calendar::shipped();
        // Four mailbox cases received in March 2024 (3 working days each):
        //  A Mon 03-04, due Thu 03-07, replied Wed 03-06 (2 working days), closed Fri 03-08 (4)
        //  B Mon 03-04, due Thu 03-07, replied Mon 03-11 (5: late)
        //  C Fri 03-15, due Wed 03-20, never answered, today 03-25: overdue, late
        //  D Mon 03-25, due Thu 03-28, open, today 03-25: on track
        // Expected for 2024-03: received 4; timed 3 (A, B, C); on time 1 → 33.3 %;
        // days to first reply [2, 5]: median 3.5, p90 (⌈1.8⌉ = 2nd) 5; to close [4]: 4 and 4.
        let mk = |conn: &mut DbConnection, day: u32| {
            let mut n = new_case(org.js.id);
            n.received_on = d(2024, 3, day);
            cases::register_case(conn, &cal, &n, Some(&director)).unwrap()
        };
        let (a, b, c, dd) = (mk(&mut conn, 4), mk(&mut conn, 4), mk(&mut conn, 15), mk(&mut conn, 25));
        assert_eq!((a.due_on, c.due_on, dd.due_on), (d(2024, 3, 7), d(2024, 3, 20), d(2024, 3, 28)));
        let handler = user(&mut conn, "res-js").id;
        let go = |conn: &mut DbConnection, id: i64, steps: Vec<(Action, NaiveDate)>| {
            for (step, day) in steps {
                cases::apply(conn, &cal, &director, id, &step, "", day).unwrap();
            }
        };
        let accept = || Action::Accept { deadline: DeadlineKind::Mailbox };
        let assign = || Action::Assign { user_id: handler };
        let reply = || Action::Reply { reply: "已處理".into() };
        go(&mut conn, a.id, vec![(accept(), d(2024, 3, 4)), (assign(), d(2024, 3, 4)), (reply(), d(2024, 3, 6)), (Action::Close, d(2024, 3, 8))]);
        go(&mut conn, b.id, vec![(accept(), d(2024, 3, 4)), (assign(), d(2024, 3, 5)), (reply(), d(2024, 3, 11))]);
        go(&mut conn, c.id, vec![(accept(), d(2024, 3, 15))]);
        // A case in another office does not enter 金沙's figures.
        let mut other = new_case(org.da.id);
        other.received_on = d(2024, 3, 5);
        let da_director = user(&mut conn, "dir-da");
        cases::register_case(&mut conn, &cal, &other, Some(&da_director)).unwrap();

        let today = d(2024, 3, 25);
        let figs = views::month_figures(&mut conn, &director.scope(), &cal, d(2024, 3, 1), d(2024, 3, 31), today).unwrap();
        assert_eq!(figs.len(), 1);
        let f = &figs[0];
        assert_eq!((f.office_id, f.year, f.month, f.received, f.timed, f.on_time), (org.js.id, 2024, 3, 4, 3, 1));
        assert!((f.on_time_rate().unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(f.median_days_to_first_reply, Some(3.5));
        assert_eq!(f.p90_days_to_first_reply, Some(5));
        assert_eq!((f.median_days_to_close, f.p90_days_to_close), (Some(4.0), Some(4)));

        // The dashboard numbers: one overdue, one on track.
        let summary = views::due_summary(&mut conn, &director.scope(), &cal, today).unwrap();
        assert_eq!(summary.into_iter().collect::<Vec<_>>(), vec![((org.js.id, DueState::Overdue), 1), ((org.js.id, DueState::OnTrack), 1)]);
        // Open cases, oldest first, with their due state on 03-25.
        let open = views::open_cases(&mut conn, &director.scope(), &cal, today).unwrap();
        let seen: Vec<(i64, DueState)> = open.iter().map(|(c, s)| (c.id, *s)).collect();
        assert_eq!(seen, vec![(c.id, DueState::Overdue), (dd.id, DueState::OnTrack)]);

        // Purging personal data keeps the figures.
        let n = views::purge_personal(&mut conn, d(2024, 3, 20)).unwrap();
        assert_eq!(n, 4, "A, B, C and 大安's case");
        let purged = cases::get_case(&mut conn, &director.scope(), a.id).unwrap();
        assert_eq!((purged.petitioner_name, purged.petitioner_contact), (None, None));
        assert!(!purged.content.contains("四十分鐘"));
        let kept = cases::get_case(&mut conn, &director.scope(), dd.id).unwrap();
        assert_eq!(kept.petitioner_name.as_deref(), Some("王小明"));
        let again = views::month_figures(&mut conn, &director.scope(), &cal, d(2024, 3, 1), d(2024, 3, 31), today).unwrap();
        assert_eq!(again, figs);
    }
}

on_both_engines! {
    async fn register_list_and_export_over_http(engine) {
        let app = crate::helpers::spawn_app(engine).await;
        seed_org(&mut app.conn());
        let b = crate::helpers::Browser::new(&app);
        b.login("dir-js").await;
        let csrf = b.csrf().await;
        let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive().to_string();
        let form = |office: &'static str, subject: &'static str| vec![
            ("office", office), ("channel", "comment_box"), ("category", "waiting"), ("subject", subject),
            ("content", "中午只開一個櫃檯。"), ("petitioner_name", "王小明"), ("petitioner_contact", "0912345678"),
            ("language", "zh-TW"),
        ];
        let mut fields = form("JS", "等候太久");
        fields.push(("csrf", &csrf));
        fields.push(("received_on", &today));
        let res = b.post("/console/cases", &fields).await;
        assert_eq!(res.status(), 303);
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("/console/cases?created=JS-"), "{location}");
        // Another office: 404; a bad field: 400 naming it; no token: 403.
        let mut other = form("DA", "x");
        other.push(("csrf", &csrf));
        other.push(("received_on", &today));
        assert_eq!(b.post("/console/cases", &other).await.status(), 404);
        let mut bad = form("JS", "x");
        bad.push(("csrf", &csrf));
        bad.push(("received_on", "2999-01-01"));
        let res = b.post("/console/cases", &bad).await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("received_on"));
        let mut no_token = form("JS", "x");
        no_token.push(("received_on", &today));
        assert_eq!(b.post("/console/cases", &no_token).await.status(), 403);

        let html = b.get("/console/cases").await.text().await.unwrap();
        assert!(html.contains("等候太久") && html.contains("王○明"), "masked in the list");
        assert!(!html.contains("王小明") && !html.contains("0912345678"));
        // The office's own deadline rule, in scope only.
        assert_eq!(b.post("/console/offices/DA/deadlines", &[("csrf", &csrf), ("kind", "simple"), ("days", "2")]).await.status(), 404);
        assert_eq!(b.post("/console/offices/JS/deadlines", &[("csrf", &csrf), ("kind", "simple"), ("days", "31")]).await.status(), 400);
        assert_eq!(b.post("/console/offices/JS/deadlines", &[("csrf", &csrf), ("kind", "simple"), ("days", "7")]).await.status(), 303);
        let office_id = manyi::offices::find_office_by_code(&mut app.conn(), &crate::helpers::code("JS")).unwrap().unwrap().id;
        assert_eq!(cases::deadline_days(&mut app.conn(), office_id, DeadlineKind::Simple).unwrap().get(), 7);
        let csv = b.get("/console/cases.csv").await.bytes().await.unwrap();
        assert!(csv.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");
        let text = String::from_utf8(csv[3..].to_vec()).unwrap();
        assert!(text.contains("王○明") && text.contains("0912-***-678"), "{text}");
        assert!(!text.contains("王小明") && !text.contains("0912345678"));
        // Words, not codes.
        assert!(text.contains("意見箱") || text.contains("首長信箱") || text.contains("書面陳情"), "{text}");
        for code in ["comment_box", "mailbox", "petition_written", "received", "zh-TW"] {
            assert!(!text.contains(code), "the code {code} in the CSV: {text}");
        }
        // Another office's director sees none of it.
        let da = crate::helpers::Browser::new(&app);
        da.login("dir-da").await;
        let html = da.get("/console/cases").await.text().await.unwrap();
        assert!(!html.contains("等候太久"));
        let csv = da.get("/console/cases.csv").await.text().await.unwrap();
        assert_eq!(csv.lines().count(), 1, "header only");
    }
}

on_both_engines! {
    async fn csv_export_neutralises_formulas(engine) {
        let app = crate::helpers::spawn_app(engine).await;
        seed_org(&mut app.conn());
        let b = crate::helpers::Browser::new(&app);
        b.login("dir-js").await;
        let csrf = b.csrf().await;
        let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap()).date_naive().to_string();
        // OWASP's examples of CSV injection, as subject, content, petitioner and contact.
        let typed = [r#"=HYPERLINK("http://x","y")"#, r#"+cmd|' /C calc'!A0"#, "@SUM(1)", "-1+1"];
        for text in typed {
            let fields = [
                ("office", "JS"), ("channel", "comment_box"), ("category", "waiting"), ("subject", text),
                ("content", text), ("petitioner_name", text), ("petitioner_contact", text),
                ("language", "zh-TW"), ("csrf", csrf.as_str()), ("received_on", today.as_str()),
            ];
            assert_eq!(b.post("/console/cases", &fields).await.status(), 303, "{text}");
        }
        let csv = b.get("/console/cases.csv").await.bytes().await.unwrap();
        let mut rd = csv::Reader::from_reader(&csv[3..]);
        let header: Vec<String> = rd.headers().unwrap().iter().map(str::to_owned).collect();
        let subject = header.iter().position(|h| h == "主旨 Subject").unwrap();
        let mut subjects = Vec::new();
        for rec in rd.records() {
            let rec = rec.unwrap();
            for field in &rec {
                assert!(!field.starts_with(['=', '+', '-', '@', '\t', '\r']), "{field:?} in {rec:?}");
            }
            subjects.push(rec[subject].to_owned());
        }
        subjects.sort();
        let mut want: Vec<String> = typed.iter().map(|t| format!("'{t}")).collect();
        want.sort();
        assert_eq!(subjects, want, "the text itself is kept, behind a quote");
    }
}

on_both_engines! {
    async fn mailbox_lookup_and_rating(engine) {
        let app = crate::helpers::spawn_app(engine).await;
        seed_org(&mut app.conn());
        let citizen = crate::helpers::Browser::new(&app);
        let page = citizen.get("/mailbox/JS").await.text().await.unwrap();
        assert!(page.contains("首長信箱"));
        let csrf = crate::helpers::hidden_csrf(&page);
        // Without the form's token: refused, nothing stored.
        let res = citizen.post("/mailbox/JS", &[("category", "waiting"), ("subject", "x"), ("content", "y")]).await;
        assert_eq!(res.status(), 403);
        let res = citizen.post("/mailbox/JS", &[
            ("csrf", &csrf), ("category", "waiting"), ("subject", "叫號系統故障"), ("content", "今天叫號機壞了一上午。"),
            ("name", "林美玲"), ("contact", "lin@example.tw"), ("language", "zh-TW"),
        ]).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        let grab = |id: &str| {
            let marker = format!("id=\"{id}\">");
            let i = html.find(&marker).unwrap() + marker.len();
            html[i..].split('<').next().unwrap().to_owned()
        };
        let (case_no, secret) = (grab("case-no"), grab("secret"));
        assert!(case_no.starts_with("JS-"), "{case_no}");
        assert_eq!(secret.len(), 10);

        // Lookup: right code shows the case without personal data; a wrong one shows nothing.
        let page = citizen.get("/cases/lookup").await.text().await.unwrap();
        let csrf = crate::helpers::hidden_csrf(&page);
        let res = citizen.post("/cases/lookup", &[("csrf", &csrf), ("case_no", &case_no), ("secret", "WRONGCODE2")]).await;
        assert_eq!(res.status(), 404);
        let page = citizen.get("/cases/lookup").await.text().await.unwrap();
        let csrf = crate::helpers::hidden_csrf(&page);
        let res = citizen.post("/cases/lookup", &[("csrf", &csrf), ("case_no", &case_no.to_lowercase()), ("secret", &secret.to_lowercase())]).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("叫號系統故障"));
        assert!(html.contains("<td id=\"case-status\">已收件 <span class=\"en\" lang=\"en\">Received</span>"), "the status in words");
        assert!(!html.contains(">received<"), "never the code");
        assert!(!html.contains("林美玲") && !html.contains("lin@example.tw") && !html.contains("一上午"));
        assert!(!html.contains("name=\"rating\""), "no rating before the reply");

        // The office answers; the citizen sees the reply and rates once.
        let mut conn = app.conn();
        let director = user(&mut conn, "dir-js");
        let handler = user(&mut conn, "res-js").id;
        let cal = Calendar::shipped();
        let id: i64 = {
            use manyi::db::schema::cases;
            cases::table.filter(cases::case_no.eq(&case_no)).select(cases::id).first(&mut conn).unwrap()
        };
        let today = chrono::Utc::now().date_naive();
        for step in [Action::Accept { deadline: DeadlineKind::Mailbox }, Action::Assign { user_id: handler },
                     Action::Reply { reply: "已於當日修復叫號機，並增設備援。".into() }] {
            cases::apply(&mut conn, &cal, &director, id, &step, "", today).unwrap();
        }
        let html = citizen.post("/cases/lookup", &[("csrf", &crate::helpers::hidden_csrf(&html)), ("case_no", &case_no), ("secret", &secret)]).await.text().await.unwrap();
        assert!(html.contains("已於當日修復叫號機") && html.contains("name=\"rating\""));
        let rate = |html: String| {
            let csrf = crate::helpers::hidden_csrf(&html);
            let (case_no, secret) = (case_no.clone(), secret.clone());
            let c = &citizen;
            async move { c.post("/cases/lookup", &[("csrf", csrf.as_str()), ("case_no", &case_no), ("secret", &secret), ("rating", "4"), ("comment", "處理迅速")]).await }
        };
        let res = rate(html).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        assert!(html.contains("感謝您的評分"));
        let res = rate(html).await;
        assert_eq!(res.status(), 400, "rated once only");
        let case = cases::get_case(&mut conn, &director.scope(), id).unwrap();
        assert_eq!((case.citizen_rating, case.citizen_comment.as_deref()), (Some(4), Some("處理迅速")));
        assert_eq!(case.channel, "mailbox");
        assert_eq!(case.petitioner_name.as_deref(), Some("林美玲"));
    }
}

on_both_engines! {
    async fn review_table_counts_by_hand(engine) {
        use manyi::cases::views::{self, ReviewCell};
        let db = TestDb::new(engine);
        let mut conn = db.pool().get().unwrap();
        let org = seed_org(&mut conn);
        let director = user(&mut conn, "dir-js");
        let handler = user(&mut conn, "res-js").id;
        let cal = Calendar::shipped();
        let mk = |conn: &mut DbConnection, day: u32, category: &str| {
            let mut n = new_case(org.js.id);
            n.received_on = d(2024, 3, day);
            n.category_code = category.into();
            cases::register_case(conn, &cal, &n, Some(&director)).unwrap().id
        };
        let run = |conn: &mut DbConnection, id: i64, steps: Vec<(Action, NaiveDate)>| {
            for (s, day) in steps { cases::apply(conn, &cal, &director, id, &s, "", day).unwrap(); }
        };
        let acc = || Action::Accept { deadline: DeadlineKind::Mailbox };
        let asg = || Action::Assign { user_id: handler };
        let rep = || Action::Reply { reply: "已處理".into() };
        // waiting: one answered on time (due 03-07, replied 03-06), one answered late (replied 03-11),
        // one not accepted; attitude: one open past due (due 03-20), one open not yet due (received 03-25).
        let w1 = mk(&mut conn, 4, "waiting");
        run(&mut conn, w1, vec![(acc(), d(2024, 3, 4)), (asg(), d(2024, 3, 4)), (rep(), d(2024, 3, 6))]);
        let w2 = mk(&mut conn, 4, "waiting");
        run(&mut conn, w2, vec![(acc(), d(2024, 3, 4)), (asg(), d(2024, 3, 4)), (rep(), d(2024, 3, 11)), (Action::Close, d(2024, 3, 12))]);
        let w3 = mk(&mut conn, 5, "waiting");
        run(&mut conn, w3, vec![(Action::NotAccept { reason: NotAcceptedReason::NoContentOrIdentity }, d(2024, 3, 5))]);
        mk(&mut conn, 15, "attitude");
        mk(&mut conn, 25, "attitude");
        let table = views::review_table(&mut conn, &director.scope(), d(2024, 3, 1), d(2024, 3, 31), d(2024, 3, 25)).unwrap();
        let cell = |c: &str, o: &str, t: &str, n: i64| ReviewCell {
            category: c.into(),
            outcome: manyi::cases::Outcome::parse(o).unwrap(),
            timeliness: manyi::cases::Timeliness::parse(t).unwrap(),
            count: n,
        };
        assert_eq!(table, vec![
            cell("attitude", "open", "late", 1),
            cell("attitude", "open", "pending", 1),
            cell("waiting", "answered", "late", 1),
            cell("waiting", "answered", "on_time", 1),
            cell("waiting", "not_accepted", "not_applicable", 1),
        ]);
        // Scope: another office sees none of it.
        let da = user(&mut conn, "dir-da");
        assert!(views::review_table(&mut conn, &da.scope(), d(2024, 3, 1), d(2024, 3, 31), d(2024, 3, 25)).unwrap().is_empty());
    }
}

on_both_engines! {
    async fn case_page_masks_audits_and_acts(engine) {
        use manyi::db::schema::audit_log;
        let app = crate::helpers::spawn_app(engine).await;
        let mut conn = app.conn();
        let org = seed_org(&mut conn);
        let director = user(&mut conn, "dir-js");
        let research = user(&mut conn, "res-js");
        let cal = Calendar::shipped();
        let mut new = new_case(org.js.id);
        new.confidential = true;
        new.received_on = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
        let case = cases::register_case(&mut conn, &cal, &new, Some(&director)).unwrap();
        let path = format!("/console/cases/{}", case.case_no);
        let views = |conn: &mut DbConnection| -> i64 {
            audit_log::table.filter(audit_log::action.eq("personal_data_viewed")).count().get_result(conn).unwrap()
        };

        // Counter staff and an unassigned research officer: masked, nothing audited.
        for who in ["ctr-js", "res-js"] {
            let b = crate::helpers::Browser::new(&app);
            b.login(who).await;
            let html = b.get(&path).await.text().await.unwrap();
            assert!(html.contains("王○明") && html.contains("0912-***-678") && html.contains("密件"), "{who}");
            assert!(!html.contains("王小明") && !html.contains("四十分鐘"), "{who}");
        }
        assert_eq!(views(&mut conn), 0);
        // The dashboard tells the director: one case due in the future, none overdue yet;
        // a case from February 2024 is long overdue.
        let mut old = new_case(org.js.id);
        old.received_on = d(2024, 2, 7);
        cases::register_case(&mut conn, &cal, &old, Some(&director)).unwrap();
        let dash: serde_json::Value = {
            let b = crate::helpers::Browser::new(&app);
            b.login("dir-js").await;
            b.get("/api/v1/console/dashboard").await.json().await.unwrap()
        };
        assert_eq!(dash["attention"][0]["code"], "JS");
        assert_eq!(dash["attention"][0]["overdue_cases"], 1, "{dash}");
        assert_eq!(dash["attention"][0]["open_alerts"], 0);
        // Administrators see it masked too.
        let admin = crate::helpers::Browser::new(&app);
        admin.login("admin").await;
        let html = admin.get(&path).await.text().await.unwrap();
        assert!(html.contains("王○明") && !html.contains("王小明"));
        assert_eq!(views(&mut conn), 0);
        // Another office: 404, for reading and for changing.
        let da = crate::helpers::Browser::new(&app);
        da.login("dir-da").await;
        assert_eq!(da.get(&path).await.status(), 404);
        let da_csrf = da.csrf().await;
        assert_eq!(da.post(&format!("{path}/action"), &[("csrf", &da_csrf), ("action", "accept"), ("deadline", "simple")]).await.status(), 404);
        assert_eq!(cases::get_case(&mut conn, &director.scope(), case.id).unwrap().status, CaseStatus::Received);
        // The director: in full, and the view is audited.
        let b = crate::helpers::Browser::new(&app);
        b.login("dir-js").await;
        let html = b.get(&path).await.text().await.unwrap();
        assert!(html.contains("王小明") && html.contains("0912345678") && html.contains("四十分鐘"));
        assert_eq!(views(&mut conn), 1);

        // Handling through the form: a refused action is a 400 naming it; CSRF is required.
        let csrf = crate::helpers::hidden_csrf(&html);
        let act = format!("{path}/action");
        assert_eq!(b.post(&act, &[("action", "accept"), ("deadline", "simple")]).await.status(), 403);
        let res = b.post(&act, &[("csrf", &csrf), ("action", "close"), ("confirm", "yes")]).await;
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains("不能「結案」"));
        assert_eq!(b.post(&act, &[("csrf", &csrf), ("action", "accept"), ("deadline", "other_unit")]).await.status(), 303);
        let rid = research.id.to_string();
        assert_eq!(b.post(&act, &[("csrf", &csrf), ("action", "assign"), ("user_id", &rid)]).await.status(), 303);
        // Now the assigned handler sees the petitioner too (and that view is audited).
        let r = crate::helpers::Browser::new(&app);
        r.login("res-js").await;
        assert!(r.get(&path).await.text().await.unwrap().contains("王小明"));
        // The refused close showed the case page again (in full: audited), then this view.
        assert_eq!(views(&mut conn), 3);
        assert_eq!(b.post(&act, &[("csrf", &csrf), ("action", "reply"), ("text", "已增開午間櫃檯。"), ("note", "主任核定")]).await.status(), 303);
        let done = cases::get_case(&mut conn, &director.scope(), case.id).unwrap();
        assert_eq!(done.status, CaseStatus::Replied);
        assert_eq!(done.published_reply.as_deref(), Some("已增開午間櫃檯。"));
        let html = b.get(&path).await.text().await.unwrap();
        assert!(html.contains("主任核定"), "the note is in the history");
    }
}

on_both_engines! {
    // A missing deadline rule is an error, not a silent 3 days (the schema's
    // check keeps stored values within 1-30).
    async fn a_missing_deadline_rule_is_an_error(engine) {
        let db = TestDb::new(engine);
        let mut conn = db.pool().get().unwrap();
        let org = seed_org(&mut conn);
        let director = user(&mut conn, "dir-js");
        use manyi::db::schema::case_deadline_rules as r;
        assert!(
            diesel::update(r::table.filter(r::kind.eq("simple")))
                .set(r::working_days.eq(0i16))
                .execute(&mut conn)
                .is_err(),
            "0 working days never reaches the table"
        );
        let mut mailbox = new_case(org.js.id);
        mailbox.channel = CaseChannel::CommentBox;
        diesel::delete(r::table.filter(r::kind.eq("simple"))).execute(&mut conn).unwrap();
        match cases::register_case(&mut conn, &Calendar::shipped(), &mailbox, Some(&director)) {
            Err(CaseError::Data(message)) => assert!(message.contains("simple"), "{message}"),
            other => panic!("{other:?}"),
        }
    }
}
