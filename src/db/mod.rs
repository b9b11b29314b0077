//! Storage: one connection type over SQLite and PostgreSQL, a pool, and the
//! embedded migrations of both engines. Every engine-specific statement of the
//! application lives in this module; domain code sees only `DbConnection`.

pub mod schema;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2;
use diesel::sql_types::{Integer, Text};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// Stores an enumeration of words (a status, a channel) as TEXT on both
/// engines: written as its `as_str`, read back with its `parse`. A word the
/// enumeration does not know is an error when the row is read, never a silent
/// default. The type derives `AsExpression` and `FromSqlRow` with
/// `#[diesel(sql_type = diesel::sql_types::Text)]`.
macro_rules! text_enum {
    ($t:ty) => {
        $crate::db::text_enum!(@impl $t, |word: &str| {
            <$t>::parse(word)
                .ok_or_else(|| format!("unknown {} `{word}` in the database", stringify!($t)))
        });
    };
    // For a type whose `parse` returns a `Result` with a displayable error.
    ($t:ty, result) => {
        $crate::db::text_enum!(@impl $t, |word: &str| {
            <$t>::parse(word).map_err(|e| format!("{e} (read from the database)"))
        });
    };
    (@impl $t:ty, $parse:expr) => {
        impl<DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for $t
        where
            DB: diesel::backend::Backend,
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let word =
                    <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(
                        bytes,
                    )?;
                let parse = $parse;
                Ok(parse(&word)?)
            }
        }

        impl<DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for $t
        where
            DB: diesel::backend::Backend,
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }
    };
}
pub(crate) use text_enum;

/// PostgreSQL is listed first: SQLite would accept any string as a file name.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(
        "unsupported database URL `{0}`: use postgres://… or postgresql://… for PostgreSQL, \
         sqlite://PATH or a plain file path for SQLite"
    )]
    UnsupportedUrl(String),
    #[error("cannot create the directory {path} for the SQLite database: {source}")]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot connect to the database ({url}): {source}")]
    Connect {
        url: String,
        source: diesel::ConnectionError,
    },
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("{0}")]
    Backup(String),
}

/// Writes a consistent copy of a SQLite database to `dest` while the service
/// runs: `VACUUM INTO` reads one snapshot of the database inside a read
/// transaction (writers go on; the copy has every transaction committed
/// before it began and none after) and writes it compacted. The file must not
/// exist yet; it is written beside itself first and renamed, so a crash
/// leaves no half backup under the name. PostgreSQL is backed up with
/// `pg_dump` (docs/OPERATIONS.md), not here.
pub fn backup(conn: &mut DbConnection, dest: &Path) -> Result<u64, DbError> {
    let DbConnection::Sqlite(c) = conn else {
        return Err(DbError::Backup(
            "manyi backup copies a SQLite database; back up PostgreSQL with pg_dump \
             (see docs/OPERATIONS.md)"
                .into(),
        ));
    };
    if dest.exists() {
        return Err(DbError::Backup(format!(
            "{}: the file exists already; choose a new name",
            dest.display()
        )));
    }
    let name = dest
        .file_name()
        .ok_or_else(|| DbError::Backup(format!("{}: not a file name", dest.display())))?;
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(DbError::Backup(format!(
            "{}: no such directory",
            dir.display()
        )));
    }
    let partial = dir.join(format!(".{}.partial", name.to_string_lossy()));
    let _ = std::fs::remove_file(&partial);
    let path = partial
        .to_str()
        .ok_or_else(|| DbError::Backup(format!("{}: not a UTF-8 path", partial.display())))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(path)
        .execute(c)?;
    // The copy is complete and closed by SQLite; make it durable, then give
    // it its name.
    let file = std::fs::File::open(&partial)
        .map_err(|e| DbError::Backup(format!("{}: {e}", partial.display())))?;
    file.sync_all()
        .map_err(|e| DbError::Backup(format!("{}: {e}", partial.display())))?;
    let size = file
        .metadata()
        .map_err(|e| DbError::Backup(format!("{}: {e}", partial.display())))?
        .len();
    std::fs::rename(&partial, dest)
        .map_err(|e| DbError::Backup(format!("{}: {e}", dest.display())))?;
    Ok(size)
}

static SHUTDOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static BACKGROUND: std::sync::Mutex<Vec<std::thread::JoinHandle<()>>> =
    std::sync::Mutex::new(Vec::new());

/// Starts a thread that works with the database in the background (the
/// alert listener, the rate-limit sync). It should return soon after
/// [`shutting_down`] turns true; [`stop_background`] waits for it.
pub fn spawn_background(name: &str, f: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    let handle = std::thread::Builder::new().name(name.to_owned()).spawn(f)?;
    let mut all = BACKGROUND.lock().unwrap_or_else(|p| p.into_inner());
    all.retain(|h| !h.is_finished());
    all.push(handle);
    Ok(())
}

/// `true` once the process is stopping.
pub fn shutting_down() -> bool {
    SHUTDOWN.load(std::sync::atomic::Ordering::Relaxed)
}

/// Tells the background threads to stop and waits for them: called before
/// the process exits, so that no thread is inside the database driver (and
/// its TLS library) while the exit handlers tear that library down.
pub fn stop_background() {
    SHUTDOWN.store(true, std::sync::atomic::Ordering::Relaxed);
    let all = std::mem::take(&mut *BACKGROUND.lock().unwrap_or_else(|p| p.into_inner()));
    for h in all {
        let _ = h.join();
    }
}

/// Which engine a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        })
    }
}

/// A database URL whose engine is known. The password, if any, never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    engine: Engine,
    /// For PostgreSQL the full URL; for SQLite the file path.
    target: String,
}

impl DatabaseUrl {
    /// `postgres://…`/`postgresql://…` pick PostgreSQL; `sqlite://PATH`, `sqlite:PATH`
    /// or a string without a scheme pick SQLite. Any other scheme is refused rather
    /// than silently becoming an oddly named SQLite file.
    pub fn parse(raw: &str) -> Result<Self, DbError> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self {
                engine: Engine::Postgres,
                target: raw.to_owned(),
            });
        }
        let path = if let Some(p) = raw.strip_prefix("sqlite://") {
            p
        } else if let Some(p) = raw.strip_prefix("sqlite:") {
            p
        } else if raw.contains("://") || raw.is_empty() {
            return Err(DbError::UnsupportedUrl(raw.to_owned()));
        } else {
            raw
        };
        if path.is_empty() || path == ":memory:" {
            // Each pooled connection would see its own empty in-memory database.
            return Err(DbError::UnsupportedUrl(raw.to_owned()));
        }
        Ok(Self {
            engine: Engine::Sqlite,
            target: path.to_owned(),
        })
    }

    pub fn sqlite_file(path: &Path) -> Self {
        Self {
            engine: Engine::Sqlite,
            target: path.to_string_lossy().into_owned(),
        }
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The URL with any password replaced by `***`, for logs and messages.
    pub fn redacted(&self) -> String {
        match self.engine {
            Engine::Sqlite => format!("sqlite://{}", self.target),
            Engine::Postgres => redact_password(&self.target),
        }
    }

    /// The URL as given, secrets included. Only for the driver.
    pub fn expose(&self) -> &str {
        &self.target
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

fn redact_password(url: &str) -> String {
    // scheme://user:password@host/… → scheme://user:***@host/…
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rfind('@') {
        Some(at) => {
            let userinfo = &authority[..at];
            let host = &authority[at + 1..];
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                url.to_owned()
            }
        }
        None => url.to_owned(),
    }
}

/// Opens connections of the engine the URL names: explicitly, never by trial.
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn connect(&self) -> Result<DbConnection, DbError> {
        let connect_err = |source| DbError::Connect {
            url: self.url.redacted(),
            source,
        };
        match self.url.engine {
            Engine::Postgres => PgConnection::establish(self.url.expose())
                .map(DbConnection::Postgresql)
                .map_err(connect_err),
            Engine::Sqlite => {
                let mut conn =
                    SqliteConnection::establish(self.url.expose()).map_err(connect_err)?;
                // busy_timeout first, so the other pragmas already wait for locks.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(|e| connect_err(diesel::ConnectionError::CouldntSetupConfiguration(e)))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = DbError;

    fn connect(&self) -> Result<DbConnection, DbError> {
        ConnectionManager::connect(self)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), DbError> {
        conn.batch_execute("SELECT 1").map_err(DbError::Query)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        match conn {
            DbConnection::Postgresql(c) => r2d2::R2D2Connection::is_broken(c),
            DbConnection::Sqlite(c) => r2d2::R2D2Connection::is_broken(c),
        }
    }
}

/// Runs an expression on the engine's own connection type. For the few
/// statements `MultiConnection` cannot express, chiefly multi-row INSERTs on
/// SQLite; the expression is compiled once per engine.
#[macro_export]
macro_rules! on_engine {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// Builds the pool. A SQLite file's directory is created if missing.
pub fn connect_pool(url: &DatabaseUrl, max_size: u32) -> Result<Pool, DbError> {
    if url.engine == Engine::Sqlite
        && let Some(dir) = Path::new(&url.target).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir {
            path: dir.to_owned(),
            source,
        })?;
    }
    let manager = ConnectionManager::new(url.clone());
    // Connect once up front so a wrong URL fails with the driver's own message.
    drop(manager.connect()?);
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        // No round trip on every checkout: a broken connection shows in
        // `has_broken` and as the query's own error.
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(10))
        .build(manager)?;
    Ok(pool)
}

/// How many embedded migrations of the connection's engine are not applied
/// (readiness: an instance of an older release on a newer schema, or the
/// reverse, shows here).
pub fn pending_migrations(conn: &mut DbConnection) -> Result<usize, DbError> {
    let pending = match conn {
        DbConnection::Postgresql(c) => {
            MigrationHarness::pending_migrations(c, POSTGRES_MIGRATIONS).map(|v| v.len())
        }
        DbConnection::Sqlite(c) => {
            MigrationHarness::pending_migrations(c, SQLITE_MIGRATIONS).map(|v| v.len())
        }
    };
    pending.map_err(|e| DbError::Migration(e.to_string()))
}

/// Applies the pending embedded migrations of the connection's engine.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, DbError> {
    let applied = match conn {
        DbConnection::Postgresql(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    };
    applied.map_err(|e| DbError::Migration(e.to_string()))
}

pub fn engine_of(conn: &DbConnection) -> Engine {
    match conn {
        DbConnection::Postgresql(_) => Engine::Postgres,
        DbConnection::Sqlite(_) => Engine::Sqlite,
    }
}

static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    static WRITING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Holds the writer lock; clears this thread's flag when dropped.
struct WriterGuard(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

impl Drop for WriterGuard {
    fn drop(&mut self) {
        WRITING.with(|w| w.set(false));
    }
}

/// Runs `f` in a transaction that may write. On SQLite it starts with
/// `BEGIN IMMEDIATE`, taking the write lock up front so concurrent writers wait
/// (busy_timeout) instead of failing on a lock upgrade; on PostgreSQL it is an
/// ordinary transaction. Nested `transaction` calls inside `f` become savepoints.
pub fn write_transaction<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    if let DbConnection::Sqlite(c) = conn {
        // SQLite has one writer at a time. Queue this process's writers on a
        // mutex, which wakes the next one at once, instead of letting them spin
        // in SQLite's sleeping busy handler; busy_timeout still covers other
        // processes (the command line) on the same file.
        // Re-entrant on one thread: a nested call finds the lock already held.
        let _writer = if WRITING.with(|w| w.replace(true)) {
            None
        } else {
            Some(WriterGuard(
                SQLITE_WRITER.lock().unwrap_or_else(|p| p.into_inner()),
            ))
        };
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
        let outcome = f(conn);
        let DbConnection::Sqlite(c) = conn else {
            unreachable!("the engine of a connection does not change")
        };
        match outcome {
            Ok(v) => {
                AnsiTransactionManager::commit_transaction(c)?;
                Ok(v)
            }
            Err(e) => {
                AnsiTransactionManager::rollback_transaction(c)?;
                Err(e)
            }
        }
    } else {
        conn.transaction(f)
    }
}

/// Tunes a SQLite connection for a bulk load (the demo generator): a page
/// cache of 256 MiB, so that the answers' indexes stay in memory instead of
/// being read back through the OS for every batch, and a WAL checkpoint every
/// 80 MiB instead of every 4 MiB. [`end_bulk_load`] restores the defaults.
/// Nothing to do on PostgreSQL.
pub fn begin_bulk_load(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Sqlite(c) = conn {
        c.batch_execute("PRAGMA cache_size = -262144; PRAGMA wal_autocheckpoint = 20000;")?;
    }
    Ok(())
}

/// Back to the connection's usual settings after [`begin_bulk_load`].
pub fn end_bulk_load(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Sqlite(c) = conn {
        c.batch_execute("PRAGMA cache_size = -2000; PRAGMA wal_autocheckpoint = 1000;")?;
    }
    Ok(())
}

/// `true` when the error is a unique-constraint violation (both engines).
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[derive(QueryableByName)]
struct ColumnRow {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
}

/// A column as both engines can describe it: name and nullability.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnInfo {
    pub name: String,
    pub not_null: bool,
}

/// Tables (without diesel's bookkeeping table) and their columns, sorted by name.
pub fn describe_schema(
    conn: &mut DbConnection,
) -> Result<BTreeMap<String, Vec<ColumnInfo>>, DbError> {
    let rows: Vec<ColumnRow> = match conn {
        DbConnection::Postgresql(c) => diesel::sql_query(
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                    CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS not_null \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name <> '__diesel_schema_migrations'",
        )
        .load(c)?,
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, \
                    CASE WHEN p.\"notnull\" = 1 OR p.pk = 1 THEN 1 ELSE 0 END AS not_null \
             FROM sqlite_master m, pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
               AND m.name <> '__diesel_schema_migrations'",
        )
        .load(c)?,
    };
    let mut tables: BTreeMap<String, Vec<ColumnInfo>> = BTreeMap::new();
    for row in rows {
        tables.entry(row.table_name).or_default().push(ColumnInfo {
            name: row.column_name,
            not_null: row.not_null != 0,
        });
    }
    for cols in tables.values_mut() {
        cols.sort();
    }
    Ok(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_picks_engine_explicitly() {
        let pg = DatabaseUrl::parse("postgres://u:secret@db:5432/manyi").unwrap();
        assert_eq!(pg.engine(), Engine::Postgres);
        assert_eq!(pg.redacted(), "postgres://u:***@db:5432/manyi");
        assert!(!format!("{pg:?}").contains("secret"));
        assert_eq!(
            DatabaseUrl::parse("postgresql://db/manyi")
                .unwrap()
                .engine(),
            Engine::Postgres
        );
        let lite = DatabaseUrl::parse("sqlite://data/manyi.db").unwrap();
        assert_eq!(lite.engine(), Engine::Sqlite);
        assert_eq!(lite.expose(), "data/manyi.db");
        assert_eq!(
            DatabaseUrl::parse("./data/x.db").unwrap().engine(),
            Engine::Sqlite
        );
    }

    #[test]
    fn url_refuses_unknown_scheme_and_memory() {
        assert!(DatabaseUrl::parse("mysql://root@localhost/x").is_err());
        assert!(DatabaseUrl::parse("postgre://typo/x").is_err());
        assert!(DatabaseUrl::parse(":memory:").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn redaction_keeps_urls_without_password() {
        assert_eq!(
            redact_password("postgres://postgres@127.0.0.1:5432/x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
    }
}
