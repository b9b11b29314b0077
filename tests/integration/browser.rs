//! Headless Chromium against the real server: the console flow of
//! tests/browser/console.mjs. Screenshots are kept in target/artifacts/browser/.
//! Needs Chromium (Debian `chromium`) and the npm packages of tests/browser
//! (`npm ci --prefix tests/browser`); scripts/test installs both. Fails when absent.

use std::path::PathBuf;
use std::process::Command;

use crate::helpers::{Engine, PASSWORD, seed_org, spawn_app};

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

pub fn artifacts_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target/artifacts")
        .join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a browser script with node (blocking, off the test's runtime so the
/// server keeps serving); panics with its output when it fails.
fn run_script(script: &str, env: Vec<(&'static str, String)>) -> std::process::Output {
    crate::helpers::run_ok(
        Command::new("node")
            .arg(browser_dir().join(script))
            .envs(env),
    )
}

async fn run_script_async(script: &'static str, env: Vec<(&'static str, String)>) {
    actix_web::rt::task::spawn_blocking(move || run_script(script, env))
        .await
        .unwrap();
}

#[actix_web::test]
async fn console_login_dashboard_language_logout_in_chromium() {
    assert!(
        browser_dir().join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix tests/browser` first (scripts/test does)"
    );
    let app = spawn_app(Engine::Sqlite).await;
    seed_org(&mut app.conn());
    let artifacts = artifacts_dir("browser");
    run_script_async(
        "console.mjs",
        vec![
            ("BASE_URL", app.address.clone()),
            ("MANYI_USER", "dir-js".into()),
            ("MANYI_PASSWORD", PASSWORD.into()),
            ("ARTIFACTS", artifacts.display().to_string()),
        ],
    )
    .await;
    for shot in [
        "desktop-2-dashboard-zh.png",
        "tablet-3-dashboard-en.png",
        "desktop-4-logged-out.png",
    ] {
        let meta = std::fs::metadata(artifacts.join(shot)).expect(shot);
        assert!(meta.len() > 5_000, "{shot} is suspiciously small");
    }
}

/// Enrolment, zh-TW and English questionnaires, idle reset and the offline
/// path, then the database: three responses, once each, the low one alerted.
#[test]
fn kiosk_enrolment_languages_idle_reset_and_offline_in_chromium() {
    use diesel::prelude::*;
    use manyi::db::schema::{alerts, answers, responses};
    assert!(
        browser_dir().join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix tests/browser` first (scripts/test does)"
    );
    let db = crate::helpers::TestDb::new(Engine::Sqlite);
    let pool = db.pool();
    let mut conn = pool.get().unwrap();
    let org = seed_org(&mut conn);
    manyi::forms::register_catalog(&mut conn, &crate::helpers::catalog()).unwrap();
    let counter = manyi::offices::create_counters(
        &mut conn,
        &[manyi::offices::NewCounter {
            office_id: org.js.id,
            code: "2",
            name_zh: "2 號櫃檯",
            name_en: "Counter 2",
        }],
    )
    .unwrap()
    .into_iter()
    .find(|c| c.office_id == org.js.id)
    .unwrap();
    let director = crate::helpers::user(&mut conn, "dir-js");
    let (code, _) = manyi::survey::devices::create_enrolment(
        &mut conn,
        &director,
        counter.id,
        "2 號櫃檯平板",
        None,
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let idle = 6;
    let args = serde_json::json!([
        "serve",
        "--bind",
        format!("127.0.0.1:{port}"),
        "--database-url",
        format!("sqlite://{}", db.url.expose()),
        "--forms",
        crate::helpers::forms_dir(),
    ]);
    let artifacts = artifacts_dir("browser");
    let out = run_script(
        "kiosk.mjs",
        vec![
            ("SERVER_BIN", env!("CARGO_BIN_EXE_manyi").to_owned()),
            ("SERVER_ARGS", args.to_string()),
            ("MANYI_KIOSK_IDLE_SECONDS", idle.to_string()),
            ("PORT", port.to_string()),
            ("ENROL_CODE", code.clone()),
            ("IDLE_SECONDS", idle.to_string()),
            ("ARTIFACTS", artifacts.display().to_string()),
        ],
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["queuedWhileDown"], 1, "{summary}");
    let touch = summary["touchTarget"].as_array().unwrap();
    assert!(
        touch.iter().all(|v| v.as_i64().unwrap() >= 48),
        "touch targets of 48 px at least: {summary}"
    );
    let idle_after = summary["idleResetAfterSeconds"].as_i64().unwrap();
    assert!(
        (idle as i64 - 1..=idle as i64 + 3).contains(&idle_after),
        "{summary}"
    );

    let rows: Vec<(String, Option<i32>, Option<i32>)> = responses::table
        .order(responses::id)
        .select((
            responses::channel,
            responses::counter_id,
            responses::device_id,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        rows.len(),
        3,
        "zh-TW, English and the offline one, each once: {rows:?}"
    );
    assert!(
        rows.iter()
            .all(|r| r.0 == "counter" && r.1 == Some(counter.id) && r.2.is_some())
    );
    let comments: Vec<Option<String>> = answers::table
        .filter(answers::item_key.eq("comment"))
        .order(answers::response_id)
        .select(answers::text_value)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        comments,
        vec![
            Some("服務親切，辦理快速".into()),
            Some("Waited too long".into()),
            Some("斷線時填寫".into())
        ]
    );
    let alerted: i64 = alerts::table.count().get_result(&mut conn).unwrap();
    assert_eq!(alerted, 1, "the English questionnaire rated 2s");
    for shot in [
        "kiosk-1-welcome.png",
        "kiosk-2-answered-zh.png",
        "kiosk-4-answered-en.png",
        "kiosk-8-offline-thanks.png",
    ] {
        assert!(std::fs::metadata(artifacts.join(shot)).expect(shot).len() > 5_000);
    }
}

/// The director's view, a case page and the citizen lookup, once in Chromium.
#[actix_web::test]
async fn register_and_lookup_in_chromium() {
    use manyi::cases::{self, CaseChannel, NewCase};
    let app = spawn_app(Engine::Sqlite).await;
    let mut conn = app.conn();
    let org = seed_org(&mut conn);
    let director = crate::helpers::user(&mut conn, "dir-js");
    let secret = cases::new_secret();
    let new = NewCase {
        office_id: org.js.id,
        channel: CaseChannel::Mailbox,
        category_code: "waiting".into(),
        subject: "午間櫃檯不足".into(),
        content: "中午只開一個櫃檯。".into(),
        petitioner_name: Some("王小明".into()),
        petitioner_contact: Some("0912345678".into()),
        language: "zh-TW".into(),
        confidential: false,
        received_on: chrono::Utc::now().date_naive(),
        lookup_secret_hash: Some(cases::secret_hash(&secret)),
        idempotency_key: None,
    };
    let case = cases::register_case(
        &mut conn,
        &manyi::calendar::Calendar::shipped(),
        &new,
        Some(&director),
    )
    .unwrap();
    let artifacts = artifacts_dir("browser");
    run_script_async(
        "cases.mjs",
        vec![
            ("BASE_URL", app.address.clone()),
            ("MANYI_USER", "dir-js".into()),
            ("MANYI_PASSWORD", PASSWORD.into()),
            ("ARTIFACTS", artifacts.display().to_string()),
            ("CASE_NO", case.case_no.clone()),
            ("CASE_SECRET", secret),
        ],
    )
    .await;
    for shot in [
        "cases-1-director-view.png",
        "cases-2-case-page.png",
        "cases-3-citizen-lookup.png",
    ] {
        assert!(std::fs::metadata(artifacts.join(shot)).expect(shot).len() > 5_000);
    }
}

/// Issue 14's path in Chromium: the administrator sets up an office in the
/// console; history and tallies come in from the command line; a director,
/// research staff and a county administrator read it in the analysis page
/// at phone, tablet and desktop sizes (axe-clean, screenshots kept).
#[actix_web::test]
async fn setting_up_an_office_and_the_analysis_page_in_chromium() {
    use std::io::Write;
    let app = spawn_app(Engine::Sqlite).await;
    let url = app.db.url.expose().to_owned();
    let add_user = |args: &[&str]| {
        let mut child = crate::helpers::manyi_command()
            .arg("--database-url")
            .arg(&url)
            .args(["user", "add"])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    add_user(&["--username", "admin", "--role", "system_admin"]);
    let artifacts = artifacts_dir("browser");
    let env = |phase: &str| {
        vec![
            ("BASE_URL", app.address.clone()),
            ("PHASE", phase.to_owned()),
            ("USERS", "director-jh,research-jh,kinmen-admin".to_owned()),
            ("MANYI_PASSWORD", PASSWORD.into()),
            ("ARTIFACTS", artifacts.display().to_string()),
        ]
    };
    run_script_async("setup.mjs", env("setup")).await;
    add_user(&[
        "--username",
        "director-jh",
        "--role",
        "director",
        "--office",
        "JH",
    ]);
    add_user(&[
        "--username",
        "research-jh",
        "--role",
        "research",
        "--office",
        "JH",
    ]);
    add_user(&[
        "--username",
        "kinmen-admin",
        "--role",
        "county_admin",
        "--county",
        "金門縣",
    ]);
    // ROC 113 from a workbook (labels, RFC 3339), ROC 112 as tallies: the
    // acceptance test's files (tests/integration/acceptance.rs).
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("history.xlsx");
    std::fs::write(
        &xlsx,
        crate::tallies::workbook("回收問卷", &crate::acceptance::history_rows()),
    )
    .unwrap();
    let tallies = dir.path().join("tallies.csv");
    std::fs::write(&tallies, crate::acceptance::TALLIES).unwrap();
    for (what, file) in [("responses", &xlsx), ("tallies", &tallies)] {
        crate::helpers::run_ok(
            crate::helpers::manyi_command()
                .arg("--database-url")
                .arg(&url)
                .args(["import", what])
                .arg(file),
        );
    }
    run_script_async("setup.mjs", env("analysis")).await;
    for shot in [
        "setup-3-office.png",
        "analysis-director-jh-phone.png",
        "analysis-research-jh-desktop.png",
        "analysis-kinmen-admin-tablet.png",
    ] {
        assert!(std::fs::metadata(artifacts.join(shot)).expect(shot).len() > 5_000);
    }
}
