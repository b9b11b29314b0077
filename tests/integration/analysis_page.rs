//! The console's analysis page (`/console/analytics`) over HTTP on both
//! engines: the figures of the analytics fixture as worked out by hand, the
//! scope of each role, the charts, the downloads, bad input, and the
//! suppression of small staff groups.

use crate::fixtures::{V1, import};
use crate::helpers::{Browser, on_both_engines, seed_org, spawn_app};

on_both_engines! {
    async fn research_staff_see_their_office_figures(engine) {
        let app = spawn_app(engine).await;
        {
            let conn = &mut app.conn();
            seed_org(conn);
            let catalog = crate::helpers::catalog();
            let form = catalog.get("counter").unwrap().form.clone();
            let version = manyi::forms::register_catalog(conn, &catalog).unwrap()["counter"];
            assert_eq!(import(conn, &form, version, V1).responses, 13);
        }
        let b = Browser::new(&app);
        b.login("res-js").await;
        let res = b.get("/console/analytics?by=year,item").await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        // JS, ROC 113, overall: 5, 5, 4, 4, 1 → 4 of 5 satisfied = 80.0%,
        // mean 3.80, dissatisfied 1 of 5 = 20.0%. ROC 112: 5, 4, 3, 2 → 50.0%.
        let row = |year: &str| {
            html.split("<tr>")
                .find(|r| r.contains(year) && r.contains("整體而言"))
                .unwrap_or_else(|| panic!("no overall row of {year}"))
                .to_owned()
        };
        let r113 = row("民國113年");
        for want in [">5<", ">80.0%<", ">3.80<", ">20.0%<"] {
            assert!(r113.contains(want), "`{want}` missing in {r113}");
        }
        assert!(row("民國112年").contains(">50.0%<"));
        assert!(!html.contains("大安"), "another county's office leaked");
        assert!(html.contains("<svg"), "no chart");
        assert!(html.contains("整體滿意度趨勢"), "no trend chart");

        // The downloads carry the same figures.
        let csv = b.get("/console/analytics.csv?by=year,item").await.text().await.unwrap();
        assert!(csv.starts_with('\u{feff}') && csv.contains("年度,題項,回答數,滿意度"), "{csv}");
        assert!(csv.lines().any(|l| l.starts_with("民國113年,整體而言") && l.contains(",5,80.0%,")), "{csv}");
        let xlsx = b.get("/console/analytics.xlsx?by=year,item").await;
        assert_eq!(xlsx.status(), 200);
        let bytes = xlsx.bytes().await.unwrap();
        assert_eq!(&bytes[..2], b"PK");
        use calamine::DataType as _;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let sheet = calamine::Reader::worksheet_range(&mut book, "figures").unwrap();
        let found = sheet.rows().any(|r| {
            r.first().map(|c| c.to_string()) == Some("民國113年".into())
                && r.get(1).is_some_and(|c| c.to_string().starts_with("整體而言"))
                && r.get(3).and_then(|c| c.get_float()).is_some_and(|v| (v - 0.8).abs() < 1e-9)
        });
        assert!(found, "no 80% row in the workbook");

        // Bad input names its field and shows no figures.
        let html = b.get("/console/analytics?from=abc").await.text().await.unwrap();
        assert!(html.contains("id=\"analytics-error\"") && html.contains("from"), "{html}");
        assert!(!html.contains("figures-table"));
        // A scope that names nothing is refused, not taken for everything.
        for bad in ["nonsense", "office:", "county:", "office:../x"] {
            let html = b.get(&format!("/console/analytics?scope={bad}")).await.text().await.unwrap();
            assert!(html.contains("id=\"analytics-error\"") && !html.contains("figures-table"), "{bad}");
        }
        // An office outside the scope is not found, and nothing of it shows.
        let html = b.get("/console/analytics?scope=office:DA").await.text().await.unwrap();
        assert!(html.contains("id=\"analytics-error\"") && !html.contains("figures-table"));
    }

    async fn roles_and_scopes_of_the_analysis_page(engine) {
        let app = spawn_app(engine).await;
        {
            let conn = &mut app.conn();
            seed_org(conn);
            let catalog = crate::helpers::catalog();
            let form = catalog.get("counter").unwrap().form.clone();
            let version = manyi::forms::register_catalog(conn, &catalog).unwrap()["counter"];
            import(conn, &form, version, V1);
        }
        // Counter staff have no analysis page.
        let c = Browser::new(&app);
        c.login("ctr-js").await;
        assert_eq!(c.get("/console/analytics").await.status(), 403);
        assert_eq!(c.get("/console/analytics.csv").await.status(), 403);
        // The county sees its offices side by side, and nothing of Taipei.
        let k = Browser::new(&app);
        k.login("kinmen").await;
        let html = k.get("/console/analytics?by=year,office,item&scope=county:金門縣").await.text().await.unwrap();
        assert!(html.contains("金門縣金沙鎮戶政事務所") && !html.contains("大安區戶政事務所"), "{html}");
        // A director of Taipei sees Taipei only.
        let d = Browser::new(&app);
        d.login("dir-da").await;
        let html = d.get("/console/analytics?by=year,office,item").await.text().await.unwrap();
        assert!(html.contains("臺北市大安區戶政事務所") && !html.contains("金沙"), "{html}");
    }

    async fn small_staff_groups_are_not_shown(engine) {
        use manyi::admin::{self, Actor};
        use manyi::offices::details::{StaffDetails, StaffInput};
        let app = spawn_app(engine).await;
        {
            let conn = &mut app.conn();
            let org = seed_org(conn);
            let catalog = crate::helpers::catalog();
            let version = manyi::forms::register_catalog(conn, &catalog).unwrap()["counter"];
            let member = StaffDetails::parse(&StaffInput { code: "E01".into(), display_name: "陳小姐".into() }).unwrap();
            // A name that a spreadsheet would run as a formula.
            let trap = StaffDetails::parse(&StaffInput { code: "E02".into(), display_name: "=HYPERLINK(\"http://x.example\")".into() }).unwrap();
            let (trap, _) = admin::save_staff(conn, Actor::system(), &org.js.code, &trap).unwrap();
            let (staff, _) = admin::save_staff(conn, Actor::system(), &org.js.code, &member).unwrap();
            // Two answers about her, one about the other: below staff_min_n (30).
            let at = chrono::NaiveDate::from_ymd_opt(2024, 5, 2).unwrap().and_hms_opt(3, 0, 0).unwrap();
            let rows: Vec<manyi::survey::ResponseRow> = (0..3)
                .map(|i| manyi::survey::ResponseRow {
                    office_id: org.js.id,
                    channel: "counter".into(),
                    form_version_id: version,
                    submitted_at: at,
                    received_at: at,
                    counter_id: None,
                    staff_id: Some(if i == 2 { trap.id } else { staff.id }),
                    service_type_id: None,
                    device_id: None,
                    idempotency_key: format!("staff-suppression-{i:04}"),
                })
                .collect();
            let ids = manyi::survey::insert_responses(conn, &rows).unwrap();
            let answers: Vec<manyi::survey::AnswerRow> = ids
                .iter()
                .map(|id| manyi::survey::AnswerRow {
                    response_id: *id,
                    item_key: "staff_attitude".into(),
                    score: Some(5),
                    choice: None,
                    text_value: None,
                })
                .collect();
            manyi::survey::insert_answers(conn, &answers).unwrap();
        }
        let b = Browser::new(&app);
        b.login("res-js").await;
        let html = b.get("/console/analytics?by=year,office,staff,item").await.text().await.unwrap();
        // The year pickers offer the years with data, not a fixed range.
        assert!(html.contains("<option value=\"113\""), "113 has answers");
        assert!(!html.contains("<option value=\"105\""), "105 has none");
        let row = html
            .split("<tr>")
            .find(|r| r.contains("陳小姐"))
            .and_then(|r| r.split("</tr>").next())
            .expect("her row");
        assert!(row.contains("回答數太少") && !row.contains("100.0%"), "{row}");
        let csv = b.get("/console/analytics.csv?by=year,office,staff,item").await.text().await.unwrap();
        let line = csv.lines().find(|l| l.contains("陳小姐")).expect("her line");
        assert!(line.contains(",2,—,") && !line.contains("100.0%"), "{line}");
        let trap = csv.lines().find(|l| l.contains("HYPERLINK")).expect("the trap's line");
        assert!(trap.contains(",\"'=HYPERLINK("), "a formula left live: {trap}");
    }
}
