//! The `manyi` binary: form errors stop it with `file:line`.

use std::process::Command;

fn manyi() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_manyi"));
    c.env("RUST_LOG", "warn")
        .env_remove("MANYI_DATABASE_URL")
        .env_remove("MANYI_CONFIG");
    c
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
