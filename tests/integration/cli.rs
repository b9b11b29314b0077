//! The `manyi` binary: form errors stop it with `file:line`.

use std::process::Command;

fn manyi() -> Command {
    crate::helpers::manyi_command()
}

fn broken_forms_dir(replace: (&str, &str)) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = crate::helpers::forms_dir().join("counter.toml");
    let text = std::fs::read_to_string(src).unwrap();
    assert!(text.contains(replace.0));
    std::fs::write(
        dir.path().join("counter.toml"),
        text.replacen(replace.0, replace.1, 1),
    )
    .unwrap();
    dir
}

#[test]
fn forms_check_lists_versions() {
    let out = manyi()
        .args(["forms", "check", "--forms"])
        .arg(crate::helpers::forms_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
    assert!(stdout.lines().next().unwrap().starts_with("counter\t"));
}

#[test]
fn bad_form_stops_start_up_with_file_and_line() {
    let dir = broken_forms_dir(("type = \"likert5\"", "type = \"likert7\""));
    let path = dir.path().join("counter.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().position(|l| l.contains("likert7")).unwrap() + 1;
    let work = tempfile::tempdir().unwrap();
    let out = manyi()
        .current_dir(work.path())
        .args(["serve", "--bind", "127.0.0.1:0", "--forms"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let expected = format!("{}:{line}: unknown item type `likert7`", path.display());
    assert!(
        stderr.contains(&expected),
        "expected `{expected}` in:\n{stderr}"
    );
    // It stopped before creating a database.
    assert!(!work.path().join("data").exists());
}

#[test]
fn missing_english_text_is_reported_by_forms_check() {
    let dir = broken_forms_dir((", en = \"Waiting time\"", ""));
    let out = manyi()
        .args(["forms", "check", "--forms"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("counter.toml:")
            && stderr.contains("item `waiting_time` is missing its `en` text"),
        "{stderr}"
    );
}

#[test]
fn mistyped_database_url_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let out = manyi()
        .current_dir(work.path())
        .args([
            "migrate",
            "--database-url",
            "postgre://localhost/x",
            "--forms",
        ])
        .arg(crate::helpers::forms_dir())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("unsupported database URL"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(work.path()).unwrap().count(),
        0,
        "no stray file created"
    );
}

/// Starts `manyi serve` on a free port with debug logs; returns the child and its URL.
fn serve_with_logs(
    dir: &std::path::Path,
    db: &str,
    log: std::path::PathBuf,
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = manyi()
        .current_dir(dir)
        .env("RUST_LOG", "debug")
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--database-url",
            db,
            "--forms",
        ])
        .arg(crate::helpers::forms_dir())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut out = std::fs::File::create(&log).unwrap();
        let mut sent = false;
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            use std::io::Write;
            writeln!(out, "{line}").unwrap();
            if !sent && let Some(i) = line.find("http://127.0.0.1:") {
                let url: String = line[i..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                let plain = String::from_utf8(strip_ansi(url.as_bytes())).unwrap();
                tx.send(plain.trim_end_matches('/').to_owned()).unwrap();
                sent = true;
            }
        }
    });
    let url = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("server started");
    (child, url)
}

fn strip_ansi(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == 0x1b {
            while i < b.len() && b[i] != b'm' {
                i += 1;
            }
        } else {
            out.push(b[i]);
        }
        i += 1;
    }
    out
}

#[actix_web::test]
async fn user_add_then_login_and_no_secret_in_the_logs() {
    use std::io::Write;
    let work = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", work.path().display());
    let password = "s3cret-Passw0rd-in-logs?";
    // The first administrator, password on stdin.
    let mut add = manyi()
        .current_dir(work.path())
        .args([
            "user",
            "add",
            "--username",
            "boss",
            "--role",
            "system_admin",
            "--database-url",
            &db,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(add.stdin.take().unwrap(), "{password}").unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = manyi()
        .current_dir(work.path())
        .args(["user", "list", "--database-url", &db])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(listed.stdout)
            .unwrap()
            .starts_with("boss\tsystem_admin")
    );
    // A short password is refused.
    let mut bad = manyi()
        .current_dir(work.path())
        .args([
            "user",
            "add",
            "--username",
            "weak",
            "--role",
            "system_admin",
            "--database-url",
            &db,
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(bad.stdin.take().unwrap(), "short").unwrap();
    let out = bad.wait_with_output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));

    let log_path = work.path().join("serve.log");
    let (mut child, url) = serve_with_logs(work.path(), &db, log_path.clone());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{url}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::hidden_csrf(&page);
    let res = client
        .post(format!("{url}/login"))
        .form(&[
            ("username", "boss"),
            ("password", password),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let session = res
        .cookies()
        .find(|c| c.name() == "manyi_session")
        .expect("session cookie")
        .value()
        .to_owned();
    let console = client.get(format!("{url}/console")).send().await.unwrap();
    assert_eq!(console.status(), 200);
    let session_csrf = crate::helpers::hidden_csrf(&console.text().await.unwrap());
    let wrong = client
        .post(format!("{url}/login"))
        .form(&[
            ("username", "boss"),
            ("password", "wrong-but-secret-9"),
            ("csrf", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert!(wrong.status().is_client_error());
    child.kill().unwrap();
    child.wait().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("/login"), "the requests were logged at all");
    for secret in [
        password,
        "wrong-but-secret-9",
        session.as_str(),
        session_csrf.as_str(),
        csrf.as_str(),
    ] {
        assert!(!log.contains(secret), "a secret reached the logs");
    }
}

crate::helpers::on_both_engines! {
    async fn acknowledged_responses_survive_kill_9(engine) {
        use crate::helpers::{TestDb, post_json, response_count, seed_org, web_submission};
        let db = TestDb::new(engine);
        seed_org(&mut db.pool().get().unwrap());
        let url_db = db.url.expose().to_owned();
        let url_db = if url_db.starts_with("postgres") { url_db } else { format!("sqlite://{url_db}") };
        let work = tempfile::tempdir().unwrap();
        let (mut child, url) = serve_with_logs(work.path(), &url_db, work.path().join("1.log"));
        let client = reqwest::Client::new();
        let mut acknowledged = Vec::new();
        for i in 0..20 {
            let res = post_json(&client, &format!("{url}/api/v1/responses"), &web_submission(&format!("crash-test-{i:05}"), 4)).await;
            assert_eq!(res.status(), 201);
            let v: serde_json::Value = res.json().await.unwrap();
            acknowledged.push(v["response_id"].as_i64().unwrap());
        }
        // SIGKILL right after the last acknowledgement: no shutdown, no flush.
        child.kill().unwrap();
        child.wait().unwrap();
        let mut conn = db.pool().get().unwrap();
        assert_eq!(response_count(&mut conn), 20, "every acknowledged response is there");
        for id in &acknowledged {
            assert!(manyi::survey::load_response(&mut conn, *id).unwrap().is_some());
        }
        // The kiosk retries after the crash: nothing is doubled.
        let (mut child, url) = serve_with_logs(work.path(), &url_db, work.path().join("2.log"));
        let res = post_json(&client, &format!("{url}/api/v1/responses"), &web_submission("crash-test-00019", 4)).await;
        assert_eq!(res.status(), 200);
        let v: serde_json::Value = res.json().await.unwrap();
        assert_eq!(v["response_id"].as_i64().unwrap(), acknowledged[19]);
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(response_count(&mut conn), 20);
    }
}

#[test]
fn forms_retire_refuses_that_version() {
    let work = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/m.db", work.path().display());
    let forms = crate::helpers::forms_dir();
    let out = manyi()
        .current_dir(work.path())
        .args(["migrate", "--database-url", &db, "--forms"])
        .arg(&forms)
        .output()
        .unwrap();
    assert!(out.status.success());
    let hash = crate::helpers::catalog()
        .get("web")
        .unwrap()
        .version_hash
        .clone();
    let out = manyi()
        .current_dir(work.path())
        .args(["forms", "retire", &hash[..8], "--database-url", &db])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a short prefix is refused");
    let out = manyi()
        .current_dir(work.path())
        .args(["forms", "retire", &hash[..16], "--database-url", &db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout).unwrap().contains(&hash));
    let mut conn = manyi::db::ConnectionManager::new(manyi::db::DatabaseUrl::parse(&db).unwrap())
        .connect()
        .unwrap();
    assert!(
        manyi::forms::find_version(&mut conn, &hash)
            .unwrap()
            .unwrap()
            .retired
    );
}

mod analytics_commands {
    use super::manyi;
    use crate::helpers::{Engine, TestDb, prepare, seed_org};

    fn both(engine: Engine) {
        let db = TestDb::new(engine);
        {
            let state = prepare(&db);
            seed_org(&mut state.pool.get().unwrap());
        }
        let work = tempfile::tempdir().unwrap();
        let csv = work.path().join("paper.csv");
        std::fs::write(
            &csv,
            "\u{feff}office_code,submitted_at,channel,service_type,counter,staff_attitude,overall,comment\n\
             JS,112/05/02,counter,,,5,4,\n\
             JS,113/05/02 10:30,counter,戶籍謄本,,4,5,叫號很快\n\
             JS,113/06/02,counter,,,2,1,等太久\n",
        )
        .unwrap();
        let snap = work.path().join("snap");
        let run = |args: &[&str]| {
            let out = manyi()
                .current_dir(work.path())
                .env("MANYI_SNAPSHOT_DIR", &snap)
                .arg("--database-url")
                .arg(db.url.expose())
                .args(args)
                .output()
                .unwrap();
            (
                out.status.success(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        };
        let forms = crate::helpers::forms_dir();
        let forms = forms.to_str().unwrap();
        let (ok, out, err) = run(&[
            "import",
            "responses",
            csv.to_str().unwrap(),
            "--form",
            "counter",
            "--forms",
            forms,
        ]);
        assert!(ok, "{err}");
        assert!(out.contains("3 response(s)"), "{out}");
        // A bad file: every error, nothing stored, non-zero exit.
        let bad = work.path().join("bad.csv");
        std::fs::write(
            &bad,
            "office_code,submitted_at,channel,service_type,counter,overall,comment\nJS,113/02/30,,,,9,\n",
        )
        .unwrap();
        let (ok, _, err) = run(&[
            "import",
            "responses",
            bad.to_str().unwrap(),
            "--forms",
            forms,
        ]);
        assert!(!ok);
        assert!(
            err.contains("row 2, column submitted_at") && err.contains("row 2, column overall"),
            "{err}"
        );

        let (ok, out, err) = run(&[
            "analyze",
            "--from",
            "112",
            "--to",
            "113",
            "--by",
            "year,item",
            "--json",
        ]);
        assert!(ok, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["responses"], 3);
        let overall_113 = v["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["year"] == 113 && m["item"] == "overall")
            .unwrap();
        assert_eq!(overall_113["n"], 2);
        assert_eq!(overall_113["mean"], 3.0);
        assert_eq!(overall_113["rate"], 0.5);
        for key in [
            "metrics",
            "changes",
            "reliability",
            "drivers",
            "shortfalls",
            "terms",
            "complaints",
            "notes",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        // Text output: Traditional Chinese headings first.
        let (ok, out, _) = run(&["analyze", "--office", "JS", "--by", "year"]);
        assert!(ok);
        assert!(
            out.contains("滿意度分析 Satisfaction analysis") && out.contains("113年"),
            "{out}"
        );
        // Bad flags name themselves.
        let (ok, _, err) = run(&["analyze", "--by", "year,colour"]);
        assert!(!ok);
        assert!(err.contains("by: `colour`"), "{err}");
        let (ok, _, err) = run(&["analyze", "--from", "abc"]);
        assert!(!ok && err.contains("from:"), "{err}");
        // Standards from the command line, then a shortfall.
        let (ok, _, err) = run(&[
            "standard", "set", "--year", "113", "--rate", "0.9", "--office", "JS",
        ]);
        assert!(ok, "{err}");
        let (ok, out, _) = run(&["analyze", "--from", "113", "--to", "113", "--json"]);
        assert!(ok);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let s = v["shortfalls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["item"] == "overall")
            .unwrap();
        assert_eq!(s["office"], "JS");
        assert!((s["gap_points"].as_f64().unwrap() - 40.0).abs() < 1e-9);
        // The yearly report: a measure, then every format into --out.
        let (ok, out, err) = run(&[
            "report",
            "measure",
            "--office",
            "JS",
            "--year",
            "113",
            "--item",
            "overall",
            "--measure",
            "增設叫號看板",
        ]);
        assert!(ok && out.contains("recorded"), "{out}{err}");
        let out_dir = work.path().join("reports");
        let (ok, out, err) = run(&[
            "report",
            "annual",
            "--year",
            "113",
            "--office",
            "JS",
            "--out",
            out_dir.to_str().unwrap(),
            "--quiet",
        ]);
        assert!(ok, "{err}");
        assert!(
            out.contains("金門縣金沙鎮戶政事務所 民國 113 年報告"),
            "{out}"
        );
        for ext in ["html", "pdf", "odt", "xlsx", "ods"] {
            let f = out_dir.join(format!("annual-113-office-JS.{ext}"));
            assert!(
                std::fs::metadata(&f)
                    .map(|m| m.len() > 1000)
                    .unwrap_or(false),
                "{}",
                f.display()
            );
        }
        for f in [
            "csv/items.csv",
            "charts/trend.png",
            "charts/trend.svg",
            "charts/items.png",
        ] {
            assert!(out_dir.join(f).exists(), "{f}");
        }
        let html = std::fs::read_to_string(out_dir.join("annual-113-office-JS.html")).unwrap();
        // The IPA chart is drawn, or (too few scored items) its one-line note
        // stands in its place: never a page-sized empty chart.
        assert_ne!(
            out_dir.join("charts/ipa.png").exists(),
            html.contains("data-chart=\"ipa\""),
            "either the chart or its note"
        );
        assert!(html.contains("增設叫號看板") && html.contains("data:image/png;base64,"));
        // Bad input names the flag and writes nothing.
        let nowhere = work.path().join("never");
        for (args, want) in [
            (vec!["--year", "abc"], "year:"),
            (
                vec!["--year", "113", "--office", "XX"],
                "office: no office `XX`",
            ),
            (vec!["--year", "113", "--format", "docx"], "format: `docx`"),
            (
                vec!["--year", "113", "--office", "JS", "--county", "金門縣"],
                "county: give an office or a county",
            ),
        ] {
            let mut full = vec![
                "report",
                "annual",
                "--quiet",
                "--out",
                nowhere.to_str().unwrap(),
            ];
            full.extend(args);
            let (ok, _, err) = run(&full);
            assert!(!ok && err.contains(want), "{full:?}: {err}");
            assert!(!nowhere.exists());
        }
        // The snapshot is a cache: rebuild reads everything again.
        let (ok, out, err) = run(&["snapshot", "rebuild"]);
        assert!(ok, "{err}");
        assert!(
            out.contains("3 responses") && out.contains("rebuilt"),
            "{out}"
        );
    }

    crate::helpers::on_both_engines! {
        fn import_analyze_standard_snapshot(engine) {
            both(engine);
        }
    }
}

mod import_refusals {
    use super::manyi;
    use crate::helpers::{Engine, TestDb, prepare, response_count, seed_org};

    /// A stray `"` opening row 3's comment would fold the rows after it into
    /// that comment: the file is refused, naming the row, and nothing is stored.
    fn unclosed_quote(engine: Engine) {
        let db = TestDb::new(engine);
        {
            let state = prepare(&db);
            seed_org(&mut state.pool.get().unwrap());
        }
        let work = tempfile::tempdir().unwrap();
        let csv = work.path().join("paper.csv");
        std::fs::write(
            &csv,
            "office_code,submitted_at,channel,service_type,counter,staff_attitude,overall,comment\n\
             JS,113/05/02,counter,,,5,4,好\n\
             JS,113/05/03,counter,,,4,5,\"叫號很快\n\
             JS,113/05/04,counter,,,2,1,等太久\n",
        )
        .unwrap();
        let out = manyi()
            .current_dir(work.path())
            .env("MANYI_SNAPSHOT_DIR", work.path().join("snap"))
            .arg("--database-url")
            .arg(db.url.expose())
            .args(["import", "responses"])
            .arg(&csv)
            .arg("--forms")
            .arg(crate::helpers::forms_dir())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{err}");
        assert!(
            err.contains("row 3, column comment: a quoted field is not closed"),
            "{err}"
        );
        let mut conn = manyi::db::ConnectionManager::new(db.url.clone())
            .connect()
            .unwrap();
        assert_eq!(response_count(&mut conn), 0, "nothing stored");
    }

    #[test]
    fn unclosed_quote_is_refused_sqlite() {
        unclosed_quote(Engine::Sqlite);
    }

    #[test]
    fn unclosed_quote_is_refused_postgres() {
        unclosed_quote(Engine::Postgres);
    }
}
