//! Issue 14's acceptance path, on both engines, with only documented commands
//! and console pages: from an empty database, create an administrator (CLI),
//! an office, two counters and three staff members (console), enrol a kiosk
//! and answer on it, import a year of history from an XLSX file with RFC 3339
//! timestamps and label answers and a year of tallies (CLI); the analysis page
//! shows every year with the figures worked out by hand below.

use std::io::Write;
use std::process::Stdio;

use serde_json::json;

use crate::helpers::{Browser, counter_answers, manyi_command, on_both_engines, run_ok, spawn_app};

/// ROC 113 (2024), office JH: overall answered 非常滿意 ×4, 滿意 ×3, 普通 ×2,
/// 不滿意 ×1 → n 10, satisfied 7/10 = 70.0%, mean 40/10 = 4.00.
pub(crate) fn history_rows() -> Vec<Vec<String>> {
    let overall = [
        "非常滿意",
        "非常滿意",
        "非常滿意",
        "非常滿意",
        "滿意",
        "滿意",
        "滿意",
        "普通",
        "普通",
        "不滿意",
    ];
    let mut rows = vec![
        [
            "office_code",
            "submitted_at",
            "channel",
            "service_type",
            "counter",
            "staff_attitude",
            "waiting_time",
            "overall",
            "comment",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for (i, o) in overall.iter().enumerate() {
        rows.push(vec![
            "JH".into(),
            format!("2024-{:02}-1{}T0{}:15:00+08:00", i + 1, i % 9, 9 - i % 2),
            "counter".into(),
            "transcript".into(),
            "1".into(),
            "Very satisfied".into(),
            if i % 2 == 0 { "4" } else { "滿意" }.into(),
            (*o).into(),
            if i == 9 { "等太久了" } else { "" }.into(),
        ]);
    }
    rows
}

/// ROC 112 (2023): overall Q1 6/2/1/1/0 (n5 … n1), Q3 3/5/2/0/0 → n 20,
/// satisfied 16/20 = 80.0%, mean (9·5 + 7·4 + 3·3 + 1·2)/20 = 4.20.
pub(crate) const TALLIES: &str = "\
office_code,year,quarter,item,非常滿意,滿意,普通,不滿意,非常不滿意
JH,112,1,overall,6,2,1,1,0
JH,112,3,overall,3,5,2,0,0
JH,112,1,staff_attitude,8,2,0,0,0
";

fn manyi(url: &str) -> std::process::Command {
    let mut c = manyi_command();
    c.arg("--database-url").arg(url);
    c
}

fn overall_row(html: &str, year: &str) -> String {
    html.split("<tr>")
        .find(|r| r.contains(year) && r.contains("整體而言"))
        .unwrap_or_else(|| panic!("no overall row of {year} in the figures"))
        .to_owned()
}

on_both_engines! {
    async fn from_an_empty_database_to_the_analysis_page(engine) {
        let app = spawn_app(engine).await;
        let url = app.db.url.expose().to_owned();
        // 1. The first administrator, from the command line (password on stdin).
        let mut child = manyi(&url)
            .args(["user", "add", "--username", "admin", "--role", "system_admin", "--name", "系統管理者"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"a long enough password 2026\n").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

        // 2. The office, two counters and three staff members, in the console.
        let admin = Browser::new(&app);
        let res = admin.login_with("admin", "a long enough password 2026").await;
        assert_eq!(res.status(), 303);
        let csrf = admin.csrf().await;
        let res = admin.post("/console/offices", &[
            ("csrf", &csrf), ("code", "JH"), ("name_zh", "金門縣金湖鎮戶政事務所"), ("name_en", "Jinhu"),
            ("county_zh", "金門縣"), ("county_en", "Kinmen County"), ("address", ""), ("phone", "082-332011"),
        ]).await;
        assert_eq!(res.status(), 303);
        for (code, name) in [("1", "1 號櫃檯"), ("2", "2 號櫃檯")] {
            let res = admin.post("/console/offices/JH/counters", &[("csrf", &csrf), ("code", code), ("name_zh", name), ("name_en", "")]).await;
            assert_eq!(res.status(), 303);
        }
        for (code, name) in [("E01", "陳小姐"), ("E02", "林先生"), ("E03", "王小姐")] {
            let res = admin.post("/console/offices/JH/staff", &[("csrf", &csrf), ("code", code), ("display_name", name)]).await;
            assert_eq!(res.status(), 303);
        }

        // 3. A kiosk at counter 1, enrolled from the kiosks page, and an answer on it.
        let kiosks = admin.get("/console/kiosks").await.text().await.unwrap();
        let row = kiosks.split("<tr>").find(|r| r.contains("1 號櫃檯")).expect("counter 1 on the kiosks page");
        let marker = "name=\"counter_id\" value=\"";
        let at = row.find(marker).unwrap() + marker.len();
        let counter_id = row[at..].split('"').next().unwrap().to_owned();
        let res = admin.post("/console/kiosks/enrol", &[("csrf", &csrf), ("counter_id", &counter_id), ("label", "1 號櫃檯平板")]).await;
        assert_eq!(res.status(), 200);
        let html = res.text().await.unwrap();
        let start = html.find("id=\"enrol-code\">").unwrap() + "id=\"enrol-code\">".len();
        let code = html[start..start + 9].to_owned();
        let tablet = Browser::new(&app);
        assert_eq!(tablet.get(&format!("/kiosk/enrol?code={code}")).await.status(), 303);
        let page = tablet.get("/kiosk").await.text().await.unwrap();
        assert!(page.contains("金湖鎮") && page.contains("1 號櫃檯"), "{page}");
        let body = json!({"form": "counter", "idempotency_key": "acceptance-kiosk-0001", "channel": "counter", "answers": counter_answers(5)});
        let res = tablet.client.post(format!("{}/api/v1/responses", app.address)).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

        // 4. A year of history from Excel, a year of tallies.
        let dir = tempfile::tempdir().unwrap();
        let xlsx = dir.path().join("113年回收問卷.xlsx");
        std::fs::write(&xlsx, crate::tallies::workbook("回收問卷", &history_rows())).unwrap();
        let out = run_ok(manyi(&url).args(["import", "responses"]).arg(&xlsx).args(["--form", "counter"]));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("10 response(s)"), "{said}");
        let tallies = dir.path().join("112年季報.csv");
        std::fs::write(&tallies, TALLIES).unwrap();
        let out = run_ok(manyi(&url).args(["import", "tallies"]).arg(&tallies));
        assert!(String::from_utf8_lossy(&out.stdout).contains("3 tally row(s) created"));

        // 5. The analysis page shows every year with its figures.
        let html = admin.get("/console/analytics?scope=office:JH&by=year,item").await.text().await.unwrap();
        let y112 = overall_row(&html, "民國112年");
        for want in [">20<", ">80.0%<", ">4.20<", ">5.0%<"] {
            assert!(y112.contains(want), "112: `{want}` missing in {y112}");
        }
        let y113 = overall_row(&html, "民國113年");
        for want in [">10<", ">70.0%<", ">4.00<", ">10.0%<"] {
            assert!(y113.contains(want), "113: `{want}` missing in {y113}");
        }
        // The kiosk's answer, today.
        let this_year = chrono::Datelike::year(&manyi::calendar::taipei::today()) - 1911;
        let now = overall_row(&html, &format!("民國{this_year}年"));
        assert!(now.contains(">1<") && now.contains(">100.0%<"), "{now}");
        // 112 is tallies only, and the page says what that leaves out.
        assert!(html.contains("民國112年只有彙總計數"), "no note for the tallied year");
        // The staff members and counters are the office's.
        let office = admin.get("/console/offices/JH").await.text().await.unwrap();
        for name in ["陳小姐", "林先生", "王小姐", "1 號櫃檯", "2 號櫃檯"] {
            assert!(office.contains(name), "{name}");
        }
    }
}
