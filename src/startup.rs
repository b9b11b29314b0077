//! Building the application from settings: database, migrations, forms, server.
//! Tests build it the same way on port 0 and read back the real port.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder, TracingLogger};

use crate::auth::{LoginThrottle, SessionPolicy};
use crate::config::Settings;
use crate::db::{self, DbError};
use crate::forms::{self, FormCatalog, FormErrors};
use crate::survey::refcache::RefCache;
use crate::web::limits::Limits;
pub use crate::web::state::{AnalyticsSettings, AppState};

/// The span of a request: tracing-actix-web's, except that a redirect (the
/// console sends a visitor without a session to the login page, as an error
/// value) is not marked as a failed request.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        DefaultRootSpanBuilder::on_request_start(request)
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        let redirect = matches!(outcome, Ok(r) if r.status().is_redirection());
        DefaultRootSpanBuilder::on_request_end(span.clone(), outcome);
        if redirect {
            span.record("otel.status_code", "OK");
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("survey forms are not valid:\n{0}")]
    Forms(#[from] FormErrors),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("start-up task failed: {0}")]
    Join(String),
}

/// Loads forms, opens the pool, migrates, and registers form versions.
pub fn prepare(settings: &Settings) -> Result<AppState, StartupError> {
    let catalog = FormCatalog::load_dir(&settings.forms_dir)?;
    let pool = db::connect_pool(&settings.database_url, settings.pool_size)?;
    let mut conn = pool.get().map_err(DbError::Pool)?;
    let applied = db::run_migrations(&mut conn)?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    let form_version_ids = forms::register_catalog(&mut conn, &catalog).map_err(DbError::Query)?;
    match crate::reports::jobs::recover(&mut conn) {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            runs = n,
            "report runs interrupted by the last stop marked failed"
        ),
        Err(e) => tracing::error!(error = %e, "report runs not checked"),
    }
    for f in catalog.iter() {
        tracing::info!(form = %f.form.key, version = %&f.version_hash[..12], source = %f.source.display(), "form loaded");
    }
    let metrics = crate::web::metrics::Metrics::new();
    let writer = if settings.group_commit_max > 1 {
        let engine = settings.database_url.engine();
        let batching = crate::survey::GroupCommit {
            max: settings.group_commit_max,
            wait: std::time::Duration::from_millis(settings.group_commit_wait_ms),
        };
        let writer =
            crate::survey::Writer::start(pool.clone(), engine, batching, metrics.batch_observer())
                .map_err(|e| StartupError::Join(format!("response writer: {e}")))?;
        Some(writer)
    } else {
        None
    };
    let limits = Limits::new(
        settings.public_rate_per_minute,
        settings.device_rate_per_minute,
    );
    limits
        .share(
            pool.clone(),
            std::time::Duration::from_millis(settings.rate_sync_ms),
        )
        .map_err(|e| StartupError::Join(format!("rate limits: {e}")))?;
    let alert_signal = Arc::new(tokio::sync::Notify::new());
    crate::survey::alerts::listen(
        &settings.database_url,
        Arc::downgrade(&alert_signal),
        std::time::Duration::from_millis(100),
    )
    .map_err(|e| StartupError::Join(format!("alert listener: {e}")))?;
    Ok(AppState {
        writer,
        pool,
        catalog,
        form_version_ids,
        session_policy: SessionPolicy {
            idle: chrono::Duration::minutes(settings.session_idle_minutes),
            absolute: chrono::Duration::hours(settings.session_absolute_hours),
        },
        throttle: LoginThrottle {
            first_delay: chrono::Duration::seconds(settings.login_first_delay_seconds.into()),
            ..LoginThrottle::default()
        },
        secure_cookies: settings.secure_cookies,
        limits,
        alert_signal,
        kiosk_idle_seconds: settings.kiosk_idle_seconds,
        analytics: Arc::new(AnalyticsSettings {
            source: settings.analytics_source(),
            options: settings.analytics_options(),
        }),
        reports: Arc::new(crate::reports::jobs::Env {
            source: settings.analytics_source(),
            options: settings.analytics_options(),
            reports_dir: settings.reports_dir.clone(),
            form: "counter".into(),
        }),
        proxy: crate::web::origin::ProxyPolicy {
            public_url: settings.public_url.clone(),
            trusted: settings.trusted_proxies.clone(),
        },
        refs: RefCache::new(std::time::Duration::from_secs(
            settings.reference_cache_seconds,
        )),
        metrics,
    })
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Binds first, so `bind = "127.0.0.1:0"` gives a free port.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let prepared = {
            let settings = settings.clone();
            actix_web::rt::task::spawn_blocking(move || prepare(&settings))
                .await
                .map_err(|e| StartupError::Join(e.to_string()))??
        };
        Self::serve(&settings.bind, prepared)
    }

    pub fn serve(bind: &str, state: AppState) -> Result<Self, StartupError> {
        let bind_err = |source| StartupError::Bind {
            addr: bind.to_owned(),
            source,
        };
        let listener = TcpListener::bind(bind).map_err(bind_err)?;
        let port = listener.local_addr().map_err(bind_err)?.port();
        let state = web::Data::from(Arc::new(state));
        let server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(
                    crate::web::input::check_inputs,
                ))
                .wrap(crate::web::security_headers())
                .wrap(actix_web::middleware::from_fn(crate::web::metrics::track))
                .wrap(TracingLogger::<RequestSpan>::new())
                .app_data(state.clone())
                .configure(crate::web::routes)
        })
        .listen(listener)
        .map_err(bind_err)?
        .run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
