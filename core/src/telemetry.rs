//! Logging: `tracing` with timestamps, INFO by default, JSON when configured.

use tracing::Metadata;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, ServerSettings};

/// Installs the global subscriber. `RUST_LOG` wins over `server.log_level` when set.
pub fn init(server: &ServerSettings) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&server.log_level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: a file, journald or `docker logs` gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(true).with_ansi(ansi);
    let not_echoed = filter_fn(|meta| !echoes_an_answered_error(meta));
    let _ = match server.log_format {
        LogFormat::Json => {
            builder.json().flatten_event(true).with_current_span(true).finish().with(not_echoed).try_init()
        }
        LogFormat::Text => builder.finish().with(not_echoed).try_init(),
    };
}

/// s3s logs every error it answers with at ERROR: an operation's ("op returns error"; a
/// NoSuchKey as much as a fault) and one refused before any operation ran ("failed to prepare";
/// a bad signature from anyone on the network, and once more as the `error` of its
/// instrumented `prepare`). The gateway logs each answered request itself, INFO when refused
/// and WARN when failed, with the error code, so those echoes are dropped: every `s3s::ops`
/// event that carries an `err` or an `error`, and the `s3s::service` event that echoes each 5xx
/// answer (`resp`; a 501 NotImplemented is one), and `s3s::http::de`'s echo of a malformed XML
/// body (`bytes`: the body itself). An `s3s::service` event with an `err` (no answer could be
/// made at all) stays.
fn echoes_an_answered_error(meta: &Metadata<'_>) -> bool {
    let fields = meta.fields();
    meta.is_event()
        && match meta.target() {
            "s3s::ops" => fields.field("err").is_some() || fields.field("error").is_some(),
            "s3s::service" => fields.field("resp").is_some(),
            // "malformed xml body" with the whole body in it: up to server.max_xml_body_bytes of
            // a client's bytes in one ERROR line (the answer, MalformedXML, is logged as usual).
            "s3s::http::de" => fields.field("bytes").is_some(),
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Records the targets and messages of the events that pass the filter.
    struct Seen(Arc<Mutex<Vec<String>>>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Seen {
        fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
            self.0.lock().unwrap().push(event.metadata().target().to_string());
        }
    }

    #[test]
    fn the_echoes_of_errors_answered_are_dropped_and_nothing_else() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry()
            .with(Seen(seen.clone()))
            .with(filter_fn(|meta| !echoes_an_answered_error(meta)));
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(target: "s3s::ops", op = "GetObject", err = "NoSuchKey", "op returns error");
            tracing::error!(target: "s3s::ops", err = "SignatureDoesNotMatch", "failed to prepare");
            tracing::error!(target: "s3s::ops", error = "SignatureDoesNotMatch");
            tracing::debug!(target: "s3s::ops", op = "GetObject", "resolved route");
            tracing::error!(target: "s3s::service", resp = "501 Not Implemented", "");
            tracing::error!(target: "s3s::http::de", bytes = "<Delete>…", "malformed xml body");
            tracing::error!(target: "s3s::service", err = "connection reset", "");
            tracing::error!(target: "s3s::service", "a 500");
            tracing::info!(target: "tiergate_gateway", op = "GetObject", code = "NoSuchKey", "S3 request refused");
        });
        assert_eq!(*seen.lock().unwrap(), ["s3s::ops", "s3s::service", "s3s::service", "tiergate_gateway"]);
    }
}
