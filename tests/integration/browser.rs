//! Headless Chromium against the real server: the console flow of
//! tests/browser/console.mjs. Screenshots are kept in target/artifacts/browser/.
//! Needs Chromium (Debian `chromium`) and the npm packages of tests/browser
//! (`npm ci --prefix tests/browser`); .ci/run installs both. Fails when absent.

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

#[actix_web::test]
async fn console_login_dashboard_language_logout_in_chromium() {
    assert!(
        browser_dir().join("node_modules/playwright-core").exists(),
        "run `npm ci --prefix tests/browser` first (.ci/run does)"
    );
    let app = spawn_app(Engine::Sqlite).await;
    seed_org(&mut app.conn());
    let artifacts = artifacts_dir("browser");
    let script = browser_dir().join("console.mjs");
    let address = app.address.clone();
    let artifacts_env = artifacts.clone();
    // The node script blocks; the server runs on this test's runtime meanwhile.
    let out = actix_web::rt::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .env("BASE_URL", address)
            .env("MANYI_USER", "dir-js")
            .env("MANYI_PASSWORD", PASSWORD)
            .env("ARTIFACTS", artifacts_env)
            .output()
            .expect("node is installed")
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "browser flow failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for shot in [
        "desktop-2-dashboard-zh.png",
        "tablet-3-dashboard-en.png",
        "desktop-4-logged-out.png",
    ] {
        let meta = std::fs::metadata(artifacts.join(shot)).expect(shot);
        assert!(meta.len() > 5_000, "{shot} is suspiciously small");
    }
}
