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
pub fn postgres_admin_url() -> String {
    std::env::var("MANYI_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn with_database(admin: &str, name: &str) -> String {
    let (base, _) = admin
        .rsplit_once('/')
        .expect("the admin URL names a database");
    format!("{base}/{name}")
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDb {
    pub url: DatabaseUrl,
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
                         (set MANYI_TEST_POSTGRES_URL, or start it as .ci/run does)."
                    )
                });
                conn.batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                TestDb {
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
    s.pool_size = 4;
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

pub async fn spawn_app(engine: Engine) -> TestApp {
    let db = TestDb::new(engine);
    let app = Application::build(settings(&db)).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
    }
}

/// Defines `mod NAME { sqlite, postgres }`: the same test body on both engines.
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
}
pub(crate) use on_both_engines;
