//! What every request shares: the pool, the forms, the policies and the
//! caches, built once at start-up (`crate::startup`).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::auth::{LoginThrottle, SessionPolicy};
use crate::db::Pool;
use crate::forms::FormCatalog;
use crate::survey::refcache::RefCache;
use crate::web::limits::Limits;

/// Shared by every request.
pub struct AppState {
    pub pool: Pool,
    pub catalog: FormCatalog,
    /// Form key → id of the current version's row in `form_versions`.
    pub form_version_ids: BTreeMap<String, i32>,
    pub session_policy: SessionPolicy,
    pub throttle: LoginThrottle,
    /// `Some(true)` forces Secure cookies; `None` sets them on TLS requests.
    pub secure_cookies: Option<bool>,
    pub limits: Limits,
    /// Woken when a response raises a dissatisfaction alert (live console updates).
    pub alert_signal: Arc<tokio::sync::Notify>,
    /// Seconds of inactivity after which the kiosk resets an unfinished questionnaire.
    pub kiosk_idle_seconds: u32,
    /// Offices, service types and form versions as submissions see them.
    pub refs: RefCache,
    /// Where the analytics snapshot lives and how analyses run.
    pub analytics: Arc<AnalyticsSettings>,
    /// Background report runs from the console.
    pub reports: Arc<crate::reports::jobs::Env>,
    /// The public address and the proxies whose forwarded headers count.
    pub proxy: crate::web::origin::ProxyPolicy,
    /// This instance's figures for `/metrics`.
    pub metrics: crate::web::metrics::Metrics,
    /// Group commit of submissions; `None` writes each in its request.
    pub writer: Option<crate::survey::Writer>,
}

#[derive(Debug, Clone)]
pub struct AnalyticsSettings {
    pub source: crate::warehouse::Source,
    pub options: crate::analytics::Options,
}
