//! Logging: `tracing` with timestamps, INFO by default, JSON when configured.

use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, ServerSettings};

/// Installs the global subscriber. `RUST_LOG` wins over `server.log_level` when set.
pub fn init(server: &ServerSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&server.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true);
    let _ = match server.log_format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
