//! Fresh databases and a real app on a random port, per test.

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use manyi::config::Settings;
use manyi::db::{self, DatabaseUrl, DbConnection, Pool};
use manyi::forms::FormCatalog;
use manyi::startup::{self, AppState, Application};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Where the test suite may create and drop its own PostgreSQL databases.
/// The test server on loopback, without TLS: libpq would otherwise use
/// OpenSSL from the pools' threads, and OpenSSL's clean-up at process exit
/// races with threads still holding connections (a SIGSEGV after every test
/// had passed, seen once in CI).
pub fn postgres_admin_url() -> String {
    std::env::var("MANYI_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".to_owned()
    })
}

/// The admin URL with another database, its query (`?sslmode=…`) kept.
fn with_database(admin: &str, name: &str) -> String {
    let (url, query) = match admin.split_once('?') {
        Some((u, q)) => (u, format!("?{q}")),
        None => (admin, String::new()),
    };
    let (base, _) = url
        .rsplit_once('/')
        .expect("the admin URL names a database");
    format!("{base}/{name}{query}")
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: DatabaseUrl,
    /// The analytics snapshot's directory, removed with the database.
    pub snapshot: tempfile::TempDir,
    _dir: Option<tempfile::TempDir>,
    pg_name: Option<String>,
}

impl TestDb {
    pub fn new(engine: Engine) -> Self {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("manyi.db");
                TestDb {
                    snapshot: tempfile::tempdir().expect("temp dir"),
                    url: DatabaseUrl::sqlite_file(&path),
                    _dir: Some(dir),
                    pg_name: None,
                }
            }
            Engine::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("manyi_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = PgConnection::establish(&admin).unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is not reachable at {admin}: {e}. The storage tests need it \
                         (set MANYI_TEST_POSTGRES_URL, or start it as scripts/test does)."
                    )
                });
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                TestDb {
                    snapshot: tempfile::tempdir().expect("temp dir"),
                    url: DatabaseUrl::parse(&with_database(&admin, &name)).unwrap(),
                    _dir: None,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// A migrated pool on this database.
    pub fn pool(&self) -> Pool {
        let pool = db::connect_pool(&self.url, 4).expect("pool");
        db::run_migrations(&mut pool.get().unwrap()).expect("migrations");
        pool
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name
            && let Ok(mut conn) = PgConnection::establish(&postgres_admin_url())
        {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

pub fn forms_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("survey-forms")
}

pub fn catalog() -> FormCatalog {
    FormCatalog::load_dir(&forms_dir()).expect("shipped forms are valid")
}

pub fn settings(db: &TestDb) -> Settings {
    let mut s = Settings::for_database(db.url.clone());
    s.bind = "127.0.0.1:0".to_owned();
    s.forms_dir = forms_dir();
    s.snapshot_dir = db.snapshot.path().join("snapshot");
    s.reports_dir = db.snapshot.path().join("reports");
    s.pool_size = 4;
    // Tests change offices and versions in the database and expect the next
    // request to see it; the binary-level tests run with the default cache.
    s.reference_cache_seconds = 0;
    s
}

/// Prepared state (migrated database, registered forms) without a server.
pub fn prepare(db: &TestDb) -> AppState {
    startup::prepare(&settings(db)).expect("start-up")
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: TestDb,
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.address, path))
            .send()
            .await
            .expect("request")
    }

    pub fn conn(&self) -> DbConnection {
        db::ConnectionManager::new(self.db.url.clone())
            .connect()
            .expect("connect")
    }
}

impl TestApp {
    /// Another instance of the app on the same database, as behind a load
    /// balancer: its base address.
    pub async fn second_instance(&self, tune: impl FnOnce(&mut Settings)) -> String {
        let mut s = settings(&self.db);
        tune(&mut s);
        let app = Application::build(s).await.expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        actix_web::rt::spawn(app.run_until_stopped());
        address
    }
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, |_| {}).await
}

/// The app with settings adjusted by `tune` (rate limits, idle times …).
pub async fn spawn_app_with(engine: Engine, tune: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::new(engine);
    let mut s = settings(&db);
    tune(&mut s);
    let app = Application::build(s).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
    }
}

/// Defines `mod NAME { sqlite, postgres }`: the same test body on both
/// engines, the one way the suite does it. `async fn` bodies run on the
/// actix test runtime (HTTP tests); plain `fn` bodies run as plain tests
/// (polars blocks in place, which a current-thread async runtime refuses).
macro_rules! on_both_engines {
    ($(async fn $name:ident($engine:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                async fn run($engine: $crate::helpers::Engine) $body

                #[actix_web::test]
                async fn sqlite() {
                    run($crate::helpers::Engine::Sqlite).await
                }

                #[actix_web::test]
                async fn postgres() {
                    run($crate::helpers::Engine::Postgres).await
                }
            }
        )*
    };
    ($(fn $name:ident($engine:ident) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                fn run($engine: $crate::helpers::Engine) $body

                #[test]
                fn sqlite() {
                    run($crate::helpers::Engine::Sqlite)
                }

                #[test]
                fn postgres() {
                    run($crate::helpers::Engine::Postgres)
                }
            }
        )*
    };
}
pub(crate) use on_both_engines;

/// Password of every account `seed_org` makes.
pub const PASSWORD: &str = "correct horse battery";

/// Three offices in two counties and one account per role:
/// `admin` (system), `kinmen` (county 金門縣), `dir-js`, `res-js`, `ctr-js`
/// (金沙, Kinmen), `dir-jc` (金城, Kinmen), `dir-da` (大安, Taipei).
pub struct Org {
    pub js: manyi::offices::Office,
    pub da: manyi::offices::Office,
}

/// An office code of the fixtures.
pub fn code(code: &str) -> manyi::offices::OfficeCode {
    manyi::offices::OfficeCode::parse(code).unwrap()
}

/// An account of [`seed_org`] by username.
pub fn user(conn: &mut DbConnection, username: &str) -> manyi::auth::User {
    manyi::auth::find_user_by_username(conn, username)
        .unwrap()
        .unwrap_or_else(|| panic!("no account `{username}`"))
}

pub fn seed_org(conn: &mut DbConnection) -> Org {
    use manyi::auth::{self, NewUser, Role};
    use manyi::offices::{NewOffice, create_office};
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = HASH.get_or_init(|| auth::hash_password(PASSWORD));
    let jc = create_office(
        conn,
        &NewOffice::new(
            &crate::helpers::code("JC"),
            "金門縣金城鎮戶政事務所",
            "Jincheng",
            "金門縣",
            "Kinmen County",
        ),
    )
    .unwrap();
    let js = create_office(
        conn,
        &NewOffice::new(
            &crate::helpers::code("JS"),
            "金門縣金沙鎮戶政事務所",
            "Jinsha",
            "金門縣",
            "Kinmen County",
        ),
    )
    .unwrap();
    let da = create_office(
        conn,
        &NewOffice::new(
            &crate::helpers::code("DA"),
            "臺北市大安區戶政事務所",
            "Da'an",
            "臺北市",
            "Taipei City",
        ),
    )
    .unwrap();
    manyi::offices::create_counters(
        conn,
        &[manyi::offices::NewCounter {
            office_id: da.id,
            code: "1",
            name_zh: "1 號櫃檯",
            name_en: "Counter 1",
        }],
    )
    .unwrap();
    let accounts: [(&str, Role, Option<i32>, Option<&str>); 7] = [
        ("admin", Role::SystemAdmin, None, None),
        ("kinmen", Role::CountyAdmin, None, Some("金門縣")),
        ("dir-js", Role::Director, Some(js.id), None),
        ("res-js", Role::Research, Some(js.id), None),
        ("ctr-js", Role::CounterStaff, Some(js.id), None),
        ("dir-jc", Role::Director, Some(jc.id), None),
        ("dir-da", Role::Director, Some(da.id), None),
    ];
    for (username, role, office_id, county) in accounts {
        let new = NewUser {
            username: username.into(),
            display_name: format!("{username} 測試"),
            role,
            office_id,
            county_zh: county.map(str::to_owned),
        };
        auth::create_user(conn, &new, hash, None, None).unwrap();
    }
    assert_eq!(jc.county_zh, js.county_zh);
    Org { js, da }
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

pub fn hidden_csrf(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.address)
    }

    /// A browser talking to the instance at `base`.
    pub fn at(base: &str) -> Self {
        Self::with_headers(base, reqwest::header::HeaderMap::new())
    }

    /// A browser whose every request carries `headers` (e.g. the
    /// `X-Forwarded-For` a trusted proxy would add).
    pub fn with_headers(base: &str, headers: reqwest::header::HeaderMap) -> Self {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .default_headers(headers)
                .build()
                .unwrap(),
            base: base.to_owned(),
        }
    }

    /// A browser behind the test proxy, coming from `addr`.
    pub fn from_address(base: &str, addr: &str) -> Self {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert("x-forwarded-for", addr.parse().unwrap());
        Self::with_headers(base, h)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{}", self.base, path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    pub async fn login_with(&self, username: &str, password: &str) -> reqwest::Response {
        let page = self.get("/login").await.text().await.unwrap();
        let csrf = hidden_csrf(&page);
        self.post(
            "/login",
            &[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/console"),
            ],
        )
        .await
    }

    /// Logs in and checks it worked.
    pub async fn login(&self, username: &str) {
        let res = self.login_with(username, PASSWORD).await;
        assert_eq!(res.status(), 303, "login of {username}");
        assert_eq!(res.headers()["location"], "/console");
    }

    /// Polls a report run until it ends (at most two minutes): its last status.
    pub async fn report_run_ended(&self, id: i32) -> serde_json::Value {
        let mut status = serde_json::Value::Null;
        for _ in 0..600 {
            status = self
                .get(&format!("/console/reports/{id}/status"))
                .await
                .json()
                .await
                .unwrap();
            if status["status"] == "done" || status["status"] == "failed" {
                break;
            }
            actix_web::rt::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        status
    }

    /// The session's CSRF token, as a console page carries it.
    pub async fn csrf(&self) -> String {
        let html = self.get("/console/password").await.text().await.unwrap();
        hidden_csrf(&html)
    }
}

/// All answers of a valid counter questionnaire, every 5-point item at `score`.
pub fn counter_answers(score: i64) -> serde_json::Value {
    serde_json::json!({
        "service_type": "transcript",
        "staff_attitude": score, "staff_efficiency": score, "waiting_time": score,
        "staff_expertise": score, "volunteer_attitude": "na", "process_design": score,
        "facilities": score, "cleanliness": score, "wayfinding": score, "overall": score,
        "comment": "辦理戶籍謄本很快"
    })
}

/// A valid web questionnaire for office JS.
pub fn web_submission(key: &str, score: i64) -> serde_json::Value {
    serde_json::json!({
        "form": "web", "idempotency_key": key, "channel": "web", "office": "JS",
        "answers": {
            "services_used": ["booking", "e_application"],
            "info_complete": score, "info_findable": score, "online_ease": score,
            "page_speed": score, "accessibility": score, "overall": score,
            "recommend": 9, "comment": "線上預約很方便"
        }
    })
}

pub async fn post_json(
    client: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
) -> reqwest::Response {
    client.post(url).json(body).send().await.unwrap()
}

pub fn response_count(conn: &mut DbConnection) -> i64 {
    manyi::db::schema::responses::table
        .count()
        .get_result(conn)
        .unwrap()
}

/// The `manyi` binary, with a quiet log and no settings taken from the
/// environment of whoever runs the tests.
pub fn manyi_command() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_manyi"));
    c.env("RUST_LOG", "warn")
        .env_remove("MANYI_DATABASE_URL")
        .env_remove("MANYI_CONFIG");
    c
}

/// Runs a program to its end; panics with its output when it fails or is
/// not installed (`scripts/test` installs what the tests run).
pub fn run_ok(cmd: &mut std::process::Command) -> std::process::Output {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (scripts/test installs it)"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A petition to office `office_id` by `channel`, received yesterday, with a
/// petitioner's name and phone (personal data the pages must mask).
pub fn petition(office_id: i32, channel: manyi::cases::CaseChannel) -> manyi::cases::NewCase {
    manyi::cases::NewCase {
        office_id,
        channel,
        category_code: "waiting".into(),
        subject: "等候太久".into(),
        content: "今天等了四十分鐘。".into(),
        petitioner_name: Some("王小明".into()),
        petitioner_contact: Some("0912345678".into()),
        language: "zh-TW".into(),
        confidential: false,
        received_on: chrono::Utc::now().date_naive() - chrono::Duration::days(1),
        lookup_secret_hash: None,
        idempotency_key: None,
    }
}
