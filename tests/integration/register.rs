//! The director's register as staff use it: every case found by words and
//! filters (names only where the viewer may see them), a page at a time, each
//! row saying how many working days are left; one form per action, a refused
//! action shown again on its form with the input kept; and the citizen's
//! pages, whose errors are pages in words. Both engines.

use chrono::NaiveDate;
use manyi::calendar::Calendar;
use manyi::cases::{self, Action, CaseChannel, CaseStatus, DeadlineKind, NewCase};

use crate::helpers::{Browser, hidden_csrf, on_both_engines, seed_org, spawn_app, user};

fn case_at(office_id: i32, subject: &str, name: &str, received_on: NaiveDate) -> NewCase {
    NewCase {
        subject: subject.into(),
        petitioner_name: Some(name.into()),
        received_on,
        ..crate::helpers::petition(office_id, CaseChannel::PetitionWritten)
    }
}

/// The case numbers a register page lists, in order.
fn listed(html: &str) -> Vec<String> {
    html.split("href=\"/console/cases/")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|s| !s.contains('/') && !s.contains('?'))
        .map(str::to_owned)
        .collect()
}

/// How many cases the page says match ("共 N 件"; 0 when none).
fn count(html: &str) -> usize {
    html.split("共 ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

on_both_engines! {
    async fn the_register_finds_any_case(engine) {
        let app = spawn_app(engine).await;
        let today = manyi::calendar::taipei::today();
        let (open_no, closed_no, other_no, numbers) = {
            let conn = &mut app.conn();
            let org = seed_org(conn);
            let director = user(conn, "dir-js");
            let cal = Calendar::shipped();
            let open = cases::register_case(conn, &cal, &case_at(org.js.id, "櫃檯排隊太久", "陳大文", today - chrono::Duration::days(2)), Some(&director)).unwrap();
            let closed = cases::register_case(conn, &cal, &case_at(org.js.id, "謄本費用疑問", "林美玲", today - chrono::Duration::days(3)), Some(&director)).unwrap();
            for a in [Action::Accept { deadline: DeadlineKind::Simple }, Action::Assign { user_id: director.id }, Action::Reply { reply: "已說明".into() }, Action::Close] {
                cases::apply(conn, &cal, &director, closed.id, &a, "", today).unwrap();
            }
            let da = user(conn, "dir-da");
            let other = cases::register_case(conn, &cal, &case_at(org.da.id, "櫃檯排隊太久", "陳大文", today), Some(&da)).unwrap();
            // Sixty more, to page through.
            let mut numbers = Vec::new();
            for i in 0..60 {
                let c = cases::register_case(conn, &cal, &case_at(org.js.id, &format!("批次案件 {i}"), "張三", today - chrono::Duration::days(1)), Some(&director)).unwrap();
                numbers.push(c.case_no);
            }
            (open.case_no, closed.case_no, other.case_no, numbers)
        };
        let b = Browser::new(&app);
        b.login("dir-js").await;

        // Open cases by default, 50 a page, sorted by due date, the other office never.
        let html = b.get("/console/cases").await.text().await.unwrap();
        let first = listed(&html);
        assert_eq!(first.len(), 50, "a page holds 50 cases");
        assert!(html.contains("共 61 件"), "the count covers all open cases");
        assert!(!first.contains(&closed_no) && !first.contains(&other_no));
        let second = listed(&b.get("/console/cases?page=2").await.text().await.unwrap());
        assert_eq!(second.len(), 11);
        assert!(first.iter().all(|n| !second.contains(n)), "pages do not overlap");
        let mut all: Vec<String> = first.iter().chain(second.iter()).cloned().collect();
        all.sort();
        let mut want: Vec<String> = numbers.iter().cloned().chain([open_no.clone()]).collect();
        want.sort();
        assert_eq!(all, want, "every open case is on one of the pages");

        // Words: the subject, the case number in lower case, the petitioner's name.
        let found = listed(&b.get("/console/cases?q=%E6%8E%92%E9%9A%8A").await.text().await.unwrap());
        assert_eq!(found, vec![open_no.clone()], "subject 排隊, this office only");
        let found = listed(&b.get(&format!("/console/cases?q={}", open_no.to_lowercase())).await.text().await.unwrap());
        assert_eq!(found, vec![open_no.clone()]);
        let by_name = listed(&b.get("/console/cases?q=%E6%9E%97%E7%BE%8E%E7%8E%B2&status=all").await.text().await.unwrap());
        assert_eq!(by_name, vec![closed_no.clone()], "the director finds a case by the petitioner's name");
        // A LIKE wildcard in the words is a character, not "anything".
        assert!(listed(&b.get("/console/cases?q=%25&status=all").await.text().await.unwrap()).is_empty());

        // Status and due-state filters; finished cases are there on request.
        let finished = listed(&b.get("/console/cases?status=finished").await.text().await.unwrap());
        assert_eq!(finished, vec![closed_no.clone()]);
        let html = b.get("/console/cases?status=all&q=%E8%AC%84%E6%9C%AC").await.text().await.unwrap();
        assert!(html.contains("已結案"), "a closed case says so");
        assert!(listed(&b.get("/console/cases?due=overdue").await.text().await.unwrap()).is_empty());
        let mut split = 0;
        for due in ["on_track", "due_soon", "due_today"] {
            split += count(&b.get(&format!("/console/cases?due={due}")).await.text().await.unwrap());
        }
        assert_eq!(split, 61, "the due states split the open cases");

        // Each row says how many working days are left, computed on the calendar.
        let conn = &mut app.conn();
        let cal = Calendar::load(conn).unwrap();
        let director = user(conn, "dir-js");
        let open = cases::get_case_by_number(conn, &director.scope(), &open_no).unwrap();
        let left = manyi::cases::views::working_days_left(&cal, open.due_on, today);
        let html = b.get(&format!("/console/cases?q={open_no}")).await.text().await.unwrap();
        let words = match left {
            0 => "今日到期".to_owned(),
            n if n > 0 => format!("剩 {n} 個工作天"),
            n => format!("逾期 {} 個工作天", -n),
        };
        assert!(html.contains(&words), "`{words}` missing");

        // A date that is not a date is named, and the rest of the search still runs.
        let html = b.get("/console/cases?from=2026-13-40").await.text().await.unwrap();
        assert!(html.contains("收件日期（起）"), "the bad date is named");
        assert_eq!(listed(&html).len(), 50);

        // Counter staff never find a case by a petitioner's name they may not see.
        let c = Browser::new(&app);
        c.login("ctr-js").await;
        assert!(listed(&c.get("/console/cases?q=%E6%9E%97%E7%BE%8E%E7%8E%B2&status=all").await.text().await.unwrap()).is_empty());
        assert_eq!(listed(&c.get("/console/cases?q=%E8%AC%84%E6%9C%AC&status=all").await.text().await.unwrap()), [closed_no]);
    }
}

#[test]
fn working_days_left_counts_on_the_calendar() {
    // 2024-02-07 (Wed) is the last working day before the lunar new year
    // (2024-02-08 to 2024-02-14 are holidays, by the shipped calendar).
    let cal = Calendar::shipped();
    let d = |m, day| NaiveDate::from_ymd_opt(2024, m, day).unwrap();
    assert_eq!(cases::views::working_days_left(&cal, d(2, 15), d(2, 7)), 1);
    assert_eq!(cases::views::working_days_left(&cal, d(2, 16), d(2, 7)), 2);
    assert_eq!(cases::views::working_days_left(&cal, d(2, 7), d(2, 7)), 0);
    assert_eq!(cases::views::working_days_left(&cal, d(2, 7), d(2, 15)), -1);
    assert_eq!(cases::views::working_days_left(&cal, d(2, 5), d(2, 7)), -2);
}

on_both_engines! {
    async fn each_action_has_its_form_and_a_refusal_keeps_the_input(engine) {
        let app = spawn_app(engine).await;
        let case_no = {
            let conn = &mut app.conn();
            let org = seed_org(conn);
            let director = user(conn, "dir-js");
            cases::register_case(conn, &Calendar::shipped(), &crate::helpers::petition(org.js.id, CaseChannel::PetitionWritten), Some(&director)).unwrap().case_no
        };
        let path = format!("/console/cases/{case_no}");
        let b = Browser::new(&app);
        b.login("dir-js").await;
        let html = b.get(&path).await.text().await.unwrap();
        // A received case: accept (open, the safe default) and not accept; nothing else.
        assert!(html.contains("id=\"form-accept\"") && html.contains("id=\"form-not_accept\""));
        assert!(!html.contains("id=\"form-close\"") && !html.contains("id=\"form-reply\""));
        assert!(html.contains("id=\"act-accept\" open"), "accepting is the open form");
        assert!(!html.contains("id=\"act-not_accept\" open"));
        let csrf = hidden_csrf(&html);
        let act = format!("{path}/action");

        // Not accepting asks first: without the box ticked, nothing happens.
        let res = b.post(&act, &[("csrf", &csrf), ("action", "not_accept"), ("legal_reason", "already_answered"), ("note", "我的備註")]).await;
        assert_eq!(res.status(), 400);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"act-not_accept\" open"), "the refused form is open");
        assert!(html.contains("請先勾選確認"));
        assert!(html.contains("value=\"我的備註\""), "the note is kept");
        assert!(html.contains("value=\"already_answered\" selected"), "the reason is kept");
        let conn = &mut app.conn();
        let director = user(conn, "dir-js");
        let now = cases::get_case_by_number(conn, &director.scope(), &case_no).unwrap();
        assert_eq!(now.status, CaseStatus::Received, "nothing changed");

        // A refusal of the lifecycle is in words on the page, not a bare error.
        let res = b.post(&act, &[("csrf", &csrf), ("action", "close"), ("confirm", "yes")]).await;
        assert_eq!(res.status(), 400);
        let html = res.text().await.unwrap();
        assert!(html.contains("此案件目前為「已收件」，不能「結案」"), "{html}");
        assert!(html.contains("id=\"history\""), "the case page, not an error page");

        // Accept, assign, then a reply left empty: the message at the field, in words.
        assert_eq!(b.post(&act, &[("csrf", &csrf), ("action", "accept"), ("deadline", "simple")]).await.status(), 303);
        assert_eq!(b.post(&act, &[("csrf", &csrf), ("action", "assign"), ("user_id", &director.id.to_string())]).await.status(), 303);
        // The history reads as sentences: who (name and role), what, the deadline in words.
        let html = b.get(&path).await.text().await.unwrap();
        let history = html.split("id=\"history\"").nth(1).unwrap().split("</ol>").next().unwrap();
        let due = cases::get_case_by_number(&mut app.conn(), &director.scope(), &case_no).unwrap().due_on;
        use chrono::Datelike;
        for words in ["dir-js 測試（主任）", "受理", "期限類別：簡易案件", &format!("期限 {}月{}日", due.month(), due.day()), "承辦人：dir-js 測試（主任）"] {
            assert!(history.contains(words), "the history lacks “{words}”: {history}");
        }
        assert!(!history.contains("simple") && !history.contains("{\""), "no codes in the history");
        let res = b.post(&act, &[("csrf", &csrf), ("action", "reply"), ("text", "   "), ("note", "草稿")]).await;
        assert_eq!(res.status(), 400);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"reply-text-error\"") && html.contains("請填寫回覆內容"));
        assert!(html.contains("value=\"草稿\""));
        // An extension to a date before the due date names that field.
        let res = b.post(&act, &[("csrf", &csrf), ("action", "extend"), ("reason", "需會辦"), ("new_due", "2000-01-03"), ("notice", "已電話通知")]).await;
        assert_eq!(res.status(), 400);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"extend-due-error\"") && html.contains("新期限必須晚於目前的期限"));
        assert!(html.contains("value=\"需會辦\"") && html.contains("value=\"已電話通知\""));
        // The handlers offered are the office's staff, not only the director.
        for who in ["dir-js 測試", "res-js 測試", "ctr-js 測試"] {
            assert!(html.contains(who), "{who} is not offered as a handler");
        }
        assert!(!html.contains("dir-da 測試"), "another office's director is offered");
        assert!(html.contains("ctr-js 測試（櫃檯人員）") && !html.contains("(ctr-js)"), "handlers by name and role, not login");
        // In English, the same refusal reads in English.
        assert!(b.get("/console/lang?to=en&next=/console").await.status().is_redirection());
        let res = b.post(&act, &[("csrf", &csrf), ("action", "reply"), ("text", "")]).await;
        assert!(res.text().await.unwrap().contains("Please write the reply."));
    }
}

on_both_engines! {
    async fn public_errors_are_pages_in_words(engine) {
        let app = spawn_app(engine).await;
        seed_org(&mut app.conn());
        let citizen = Browser::new(&app);
        for path in ["/mailbox/NOPE", "/survey/NOPE/web", "/survey/JS/no-such-form", "/no/such/page", "/survey/js/web"] {
            let res = citizen.get(path).await;
            let status = res.status().as_u16();
            let kind = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
            let body = res.text().await.unwrap();
            assert!(kind.starts_with("text/html"), "{path}: {kind}");
            assert!(!body.trim_start().starts_with('{'), "{path} answers JSON");
            if path == "/survey/js/web" {
                assert_eq!(status, 200, "a lower-case office code works");
                continue;
            }
            assert_eq!(status, 404, "{path}");
            assert!(body.contains("回首頁"), "{path} offers no way forward");
        }
        assert!(citizen.get("/mailbox/NOPE").await.text().await.unwrap().contains("找不到這個戶政事務所"));

        // A blank subject: the mailbox again, the message at the field, the text kept.
        let csrf = hidden_csrf(&citizen.get("/mailbox/JS").await.text().await.unwrap());
        let res = citizen.post("/mailbox/JS", &[("csrf", &csrf), ("category", "waiting"), ("subject", "  "), ("content", "我等了很久"), ("name", "王小明")]).await;
        assert_eq!(res.status(), 400);
        let html = res.text().await.unwrap();
        assert!(html.contains("id=\"m-subject-error\"") && html.contains("請填寫主旨"), "{html}");
        assert!(html.contains("我等了很久") && html.contains("value=\"王小明\""), "the input is kept");
        assert!(!html.contains("subject:"), "no field code in the message");
        // An expired form is a page too.
        let res = citizen.post("/mailbox/JS", &[("csrf", "stale"), ("category", "waiting"), ("subject", "主旨"), ("content", "內容")]).await;
        assert_eq!(res.status(), 403);
        assert!(res.text().await.unwrap().contains("此表單已逾時"));

        // The start page is for citizens; the API list is on the developers' page.
        let home = citizen.get("/").await.text().await.unwrap();
        for want in ["金門縣", "金門縣金沙鎮戶政事務所", "href=\"/mailbox/JS\"", "href=\"/survey/JS/web\"", "href=\"/cases/lookup\"", "href=\"/developers\""] {
            assert!(home.contains(want), "`{want}` missing from the start page");
        }
        assert!(!home.contains("/api/v1"), "the start page lists the API");
        let dev = citizen.get("/developers").await.text().await.unwrap();
        assert!(dev.contains("/api/v1/responses") && dev.contains("/forms/counter"));
    }
}
