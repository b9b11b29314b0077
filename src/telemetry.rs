//! Logging. `RUST_LOG` overrides the default level (`info`).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber, writing to stderr. Safe to call twice.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
