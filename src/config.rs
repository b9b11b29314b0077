//! Settings: defaults in code, then a TOML file (`manyi.toml` in the working
//! directory, or `--config FILE` / `MANYI_CONFIG`), then `MANYI_*` environment
//! variables, then command-line flags.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::db::DatabaseUrl;

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATABASE: &str = "sqlite://data/manyi.db";
pub const DEFAULT_FORMS_DIR: &str = "survey-forms";

/// Every setting, as named in the file and (upper-cased, `MANYI_` first) in the environment.
const SETTING_KEYS: [&str; 20] = [
    "bind",
    "database_url",
    "forms_dir",
    "pool_size",
    "session_idle_minutes",
    "session_absolute_hours",
    "secure_cookies",
    "public_rate_per_minute",
    "device_rate_per_minute",
    "kiosk_idle_seconds",
    "reference_cache_seconds",
    "snapshot_dir",
    "staff_min_n",
    "reports_dir",
    "public_url",
    "trusted_proxies",
    "login_first_delay_seconds",
    "group_commit_max",
    "group_commit_wait_ms",
    "rate_sync_ms",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    bind: String,
    database_url: String,
    forms_dir: PathBuf,
    pool_size: u32,
    session_idle_minutes: i64,
    session_absolute_hours: i64,
    secure_cookies: Option<bool>,
    public_rate_per_minute: u32,
    device_rate_per_minute: u32,
    kiosk_idle_seconds: u32,
    reference_cache_seconds: u64,
    snapshot_dir: Option<PathBuf>,
    staff_min_n: u64,
    reports_dir: Option<PathBuf>,
    public_url: Option<String>,
    trusted_proxies: String,
    login_first_delay_seconds: u32,
    group_commit_max: usize,
    group_commit_wait_ms: u64,
    rate_sync_ms: u64,
}

impl Default for RawSettings {
    fn default() -> Self {
        Self {
            bind: DEFAULT_BIND.to_owned(),
            database_url: DEFAULT_DATABASE.to_owned(),
            forms_dir: PathBuf::from(DEFAULT_FORMS_DIR),
            pool_size: 8,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            secure_cookies: None,
            public_rate_per_minute: 30,
            device_rate_per_minute: 120,
            kiosk_idle_seconds: 60,
            reference_cache_seconds: 5,
            snapshot_dir: None,
            staff_min_n: 30,
            reports_dir: None,
            public_url: None,
            trusted_proxies: String::new(),
            login_first_delay_seconds: 5,
            group_commit_max: 128,
            group_commit_wait_ms: 0,
            rate_sync_ms: 1000,
        }
    }
}

/// Checked settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub database_url: DatabaseUrl,
    pub forms_dir: PathBuf,
    pub pool_size: u32,
    /// A staff session ends after this long unused.
    pub session_idle_minutes: i64,
    /// A staff session ends this long after login.
    pub session_absolute_hours: i64,
    /// Force Secure cookies on or off; by default they are Secure on TLS requests.
    pub secure_cookies: Option<bool>,
    /// Public submissions per minute from one client address.
    pub public_rate_per_minute: u32,
    /// Kiosk submissions per minute from one enrolled device.
    pub device_rate_per_minute: u32,
    /// An unfinished kiosk questionnaire resets after this many idle seconds.
    pub kiosk_idle_seconds: u32,
    /// How long submissions may use a copy of offices, service types and form versions.
    pub reference_cache_seconds: u64,
    /// The analytics snapshot (a cache of the answers in Arrow IPC files);
    /// by default beside the SQLite file, or under `data/` for PostgreSQL.
    pub snapshot_dir: PathBuf,
    /// Figures per staff member are shown only from this many answers on.
    pub staff_min_n: u64,
    /// Reports generated from the console (one folder per run); by default
    /// beside the SQLite file, or under `data/` for PostgreSQL.
    pub reports_dir: PathBuf,
    /// The address citizens and kiosks reach the service at, e.g.
    /// `https://manyi.example.gov.tw`: the base of every link it hands out.
    /// Unset, links take the request's own scheme and host.
    pub public_url: Option<String>,
    /// Proxies whose `X-Forwarded-For/-Proto/-Host` are believed (addresses
    /// or networks); from anyone else those headers are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Login throttling's first wait (after 3 failures of an account from one
    /// address); each further failure doubles it (see `auth::throttle`).
    pub login_first_delay_seconds: u32,
    /// Group commit: at most this many submissions written in one
    /// transaction (1: each in its own, in the request's thread).
    pub group_commit_max: usize,
    /// How long a writer waits for more submissions once it has one (0: it
    /// takes what is queued and commits; batches form while it commits).
    pub group_commit_wait_ms: u64,
    /// How often an instance adds its public requests to the counts in the
    /// database and reads the other instances' (the shared rate limits).
    pub rate_sync_ms: u64,
}

impl Settings {
    /// Defaults for the given database (tests and tools).
    pub fn for_database(database_url: DatabaseUrl) -> Self {
        let d = RawSettings::default();
        Settings {
            snapshot_dir: crate::warehouse::snapshot::default_dir(&database_url),
            reports_dir: crate::reports::jobs::default_dir(&database_url),
            staff_min_n: d.staff_min_n,
            bind: d.bind,
            database_url,
            forms_dir: d.forms_dir,
            pool_size: d.pool_size,
            session_idle_minutes: d.session_idle_minutes,
            session_absolute_hours: d.session_absolute_hours,
            secure_cookies: d.secure_cookies,
            public_rate_per_minute: d.public_rate_per_minute,
            device_rate_per_minute: d.device_rate_per_minute,
            kiosk_idle_seconds: d.kiosk_idle_seconds,
            reference_cache_seconds: d.reference_cache_seconds,
            public_url: None,
            trusted_proxies: Vec::new(),
            login_first_delay_seconds: d.login_first_delay_seconds,
            group_commit_max: d.group_commit_max,
            group_commit_wait_ms: d.group_commit_wait_ms,
            rate_sync_ms: d.rate_sync_ms,
        }
    }
}

impl Settings {
    /// Where analyses read their answers: the snapshot beside this database.
    pub fn analytics_source(&self) -> crate::warehouse::Source {
        crate::warehouse::Source {
            snapshot_dir: self.snapshot_dir.clone(),
            database: self.database_url.clone(),
        }
    }

    pub fn analytics_options(&self) -> crate::analytics::Options {
        crate::analytics::Options {
            staff_min_n: self.staff_min_n,
            ..crate::analytics::Options::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Figment(#[from] Box<figment::Error>),
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("database_url: {0}")]
    Database(#[from] crate::db::DbError),
    #[error("pool_size must be at least 1")]
    PoolSize,
    #[error("session_idle_minutes and session_absolute_hours must be at least 1")]
    SessionTimes,
    #[error("public_url: {0}")]
    PublicUrl(String),
    #[error("trusted_proxies: {0}")]
    TrustedProxies(String),
}

/// Command-line values that override the file and the environment.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub bind: Option<String>,
    pub database_url: Option<String>,
    pub forms_dir: Option<PathBuf>,
}

impl Settings {
    pub fn load(config_file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let mut fig = Figment::from(Serialized::defaults(RawSettings::default()));
        match config_file {
            Some(p) if !p.exists() => return Err(ConfigError::MissingFile(p.to_owned())),
            Some(p) => fig = fig.merge(Toml::file(p)),
            None => fig = fig.merge(Toml::file("manyi.toml")),
        }
        fig = fig.merge(Env::prefixed("MANYI_").only(&SETTING_KEYS));
        let mut raw: RawSettings = fig.extract().map_err(Box::new)?;
        if let Some(b) = &overrides.bind {
            raw.bind = b.clone();
        }
        if let Some(d) = &overrides.database_url {
            raw.database_url = d.clone();
        }
        if let Some(f) = &overrides.forms_dir {
            raw.forms_dir = f.clone();
        }
        if raw.pool_size == 0 {
            return Err(ConfigError::PoolSize);
        }
        if raw.session_idle_minutes < 1 || raw.session_absolute_hours < 1 {
            return Err(ConfigError::SessionTimes);
        }
        let database_url = DatabaseUrl::parse(&raw.database_url)?;
        let public_url = raw
            .public_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(parse_public_url)
            .transpose()?;
        let trusted_proxies = crate::web::origin::ProxyPolicy::parse_trusted(&raw.trusted_proxies)
            .map_err(ConfigError::TrustedProxies)?;
        Ok(Settings {
            public_url,
            trusted_proxies,
            login_first_delay_seconds: raw.login_first_delay_seconds.max(1),
            bind: raw.bind,
            snapshot_dir: raw
                .snapshot_dir
                .unwrap_or_else(|| crate::warehouse::snapshot::default_dir(&database_url)),
            reports_dir: raw
                .reports_dir
                .unwrap_or_else(|| crate::reports::jobs::default_dir(&database_url)),
            staff_min_n: raw.staff_min_n,
            database_url,
            forms_dir: raw.forms_dir,
            pool_size: raw.pool_size,
            session_idle_minutes: raw.session_idle_minutes,
            session_absolute_hours: raw.session_absolute_hours,
            secure_cookies: raw.secure_cookies,
            public_rate_per_minute: raw.public_rate_per_minute,
            device_rate_per_minute: raw.device_rate_per_minute,
            kiosk_idle_seconds: raw.kiosk_idle_seconds.max(5),
            reference_cache_seconds: raw.reference_cache_seconds,
            group_commit_max: raw.group_commit_max.clamp(1, 1024),
            group_commit_wait_ms: raw.group_commit_wait_ms.min(100),
            rate_sync_ms: raw.rate_sync_ms.clamp(50, 60_000),
        })
    }
}

/// `https://host[:port][/path]`, kept without a trailing slash.
fn parse_public_url(u: &str) -> Result<String, ConfigError> {
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
        .ok_or_else(|| {
            ConfigError::PublicUrl(format!("`{u}` must start with https:// or http://"))
        })?;
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty()
        || u.contains(['?', '#'])
        || u.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ConfigError::PublicUrl(format!(
            "`{u}` is not an address like https://manyi.example.gov.tw"
        )));
    }
    Ok(u.trim_end_matches('/').to_owned())
}

#[cfg(test)]
// figment's Jail closures return its (large) error type; that is its API.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_comes_from_file_and_environment() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "manyi.toml",
                "pool_size = 3\nkiosk_idle_seconds = 20\nsecure_cookies = true\n",
            )?;
            jail.set_env("MANYI_KIOSK_IDLE_SECONDS", "6");
            jail.set_env("MANYI_PUBLIC_RATE_PER_MINUTE", "7");
            jail.set_env("MANYI_SESSION_IDLE_MINUTES", "9");
            let s = Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(s.pool_size, 3, "from the file");
            assert_eq!(s.secure_cookies, Some(true), "from the file");
            assert_eq!(s.kiosk_idle_seconds, 6, "the environment beats the file");
            assert_eq!(s.public_rate_per_minute, 7);
            assert_eq!(s.session_idle_minutes, 9);
            assert_eq!(s.bind, DEFAULT_BIND);
            jail.set_env("MANYI_PUBLIC_URL", "https://manyi.example.gov.tw/");
            jail.set_env("MANYI_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1");
            let s = Settings::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(
                s.public_url.as_deref(),
                Some("https://manyi.example.gov.tw")
            );
            assert_eq!(s.trusted_proxies.len(), 2);
            jail.set_env("MANYI_TRUSTED_PROXIES", "proxy.local");
            let err = Settings::load(None, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("trusted_proxies"), "{err}");
            jail.set_env("MANYI_TRUSTED_PROXIES", "");
            jail.set_env("MANYI_PUBLIC_URL", "manyi.example");
            let err = Settings::load(None, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("public_url"), "{err}");
            jail.set_env("MANYI_PUBLIC_URL", "");
            // Every key of RawSettings is listed for the environment.
            let raw = serde_json::to_value(RawSettings::default()).unwrap();
            let mut fields: Vec<&str> = raw
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut listed = SETTING_KEYS.to_vec();
            fields.sort();
            listed.sort();
            assert_eq!(fields, listed);
            Ok(())
        });
    }

    #[test]
    fn unknown_setting_in_the_file_is_an_error() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("manyi.toml", "pool_sise = 3\n")?;
            let err = Settings::load(None, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("pool_sise"), "{err}");
            Ok(())
        });
    }
}
