//! Prometheus metrics: one registry for the process, served at `/metrics`.

use std::sync::OnceLock;

use prometheus::{
    Encoder, Gauge, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry,
    TextEncoder,
};

/// Every metric Tiergate exports.
pub struct Metrics {
    registry: Registry,
    pub tiering_runs: IntCounterVec,
    pub tiering_objects: IntCounterVec,
    pub tiering_bytes: IntCounter,
    pub lifecycle_actions: IntCounterVec,
    pub tiering_run_duration: Histogram,
    pub tiering_last_run: Gauge,
    pub tiering_last_success: Gauge,
    pub objects: GaugeVec,
    pub bytes: GaugeVec,
    pub s3_requests: IntCounterVec,
    pub s3_request_duration: HistogramVec,
    pub quota_refusals: IntCounterVec,
    pub audit_dropped: IntCounter,
}

fn build() -> Result<Metrics, prometheus::Error> {
    let registry = Registry::new();
    let m = Metrics {
        tiering_runs: IntCounterVec::new(
            Opts::new(
                "tiergate_tiering_runs_total",
                "Tiering passes finished, by status (succeeded, partial, failed), from the catalog's run records: \
                 the same on every process.",
            ),
            &["status"],
        )?,
        tiering_objects: IntCounterVec::new(
            Opts::new(
                "tiergate_tiering_objects_total",
                "Objects a tiering pass handled, by result (moved, failed, skipped).",
            ),
            &["result"],
        )?,
        lifecycle_actions: IntCounterVec::new(
            Opts::new(
                "tiergate_lifecycle_actions_total",
                "Lifecycle rule actions of finished passes (not dry runs): action is transition, expiration or \
                 abort_incomplete_multipart_upload; result is succeeded or failed.",
            ),
            &["action", "result"],
        )?,
        tiering_bytes: IntCounter::new(
            "tiergate_tiering_bytes_total",
            "Bytes moved from the hot tier to the cold tier.",
        )?,
        tiering_run_duration: Histogram::with_opts(
            HistogramOpts::new("tiergate_tiering_run_duration_seconds", "How long tiering passes took.")
                .buckets(vec![0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14400.0]),
        )?,
        tiering_last_run: Gauge::new(
            "tiergate_tiering_last_run_timestamp_seconds",
            "When the last tiering pass finished (Unix seconds), whatever its status.",
        )?,
        tiering_last_success: Gauge::new(
            "tiergate_tiering_last_success_timestamp_seconds",
            "When the last tiering pass that moved everything it tried finished (Unix seconds).",
        )?,
        objects: GaugeVec::new(
            Opts::new("tiergate_objects", "Objects in the catalog, by tier (hot, cold)."),
            &["tier"],
        )?,
        bytes: GaugeVec::new(
            Opts::new("tiergate_bytes", "Bytes of the objects in the catalog, by tier (hot, cold)."),
            &["tier"],
        )?,
        s3_requests: IntCounterVec::new(
            Opts::new("tiergate_s3_requests_total", "S3 requests the gateway answered, by operation and HTTP status."),
            &["op", "status"],
        )?,
        s3_request_duration: HistogramVec::new(
            HistogramOpts::new("tiergate_s3_request_duration_seconds", "Time to answer S3 requests, by operation.")
                .buckets(vec![0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0]),
            &["op"],
        )?,
        quota_refusals: IntCounterVec::new(
            Opts::new(
                "tiergate_quota_refusals_total",
                "Writes refused for passing a quota, by limit (bytes, objects).",
            ),
            &["limit"],
        )?,
        audit_dropped: IntCounter::new(
            "tiergate_audit_events_dropped_total",
            "Audit events dropped because the audit log's writer fell behind (its queue was full).",
        )?,
        registry,
    };
    // Every labelled series exists from the start, at 0.
    for status in RUN_STATUSES {
        m.tiering_runs.with_label_values(&[status]);
    }
    for result in OBJECT_RESULTS {
        m.tiering_objects.with_label_values(&[result]);
    }
    for action in LIFECYCLE_ACTIONS {
        for result in ["succeeded", "failed"] {
            m.lifecycle_actions.with_label_values(&[action, result]);
        }
    }
    for tier in ["hot", "cold"] {
        m.objects.with_label_values(&[tier]);
        m.bytes.with_label_values(&[tier]);
    }
    for limit in ["bytes", "objects"] {
        m.quota_refusals.with_label_values(&[limit]);
    }
    m.registry.register(Box::new(m.tiering_runs.clone()))?;
    m.registry.register(Box::new(m.tiering_objects.clone()))?;
    m.registry.register(Box::new(m.tiering_bytes.clone()))?;
    m.registry.register(Box::new(m.lifecycle_actions.clone()))?;
    m.registry.register(Box::new(m.tiering_run_duration.clone()))?;
    m.registry.register(Box::new(m.tiering_last_run.clone()))?;
    m.registry.register(Box::new(m.tiering_last_success.clone()))?;
    m.registry.register(Box::new(m.objects.clone()))?;
    m.registry.register(Box::new(m.bytes.clone()))?;
    m.registry.register(Box::new(m.s3_requests.clone()))?;
    m.registry.register(Box::new(m.s3_request_duration.clone()))?;
    m.registry.register(Box::new(m.quota_refusals.clone()))?;
    m.registry.register(Box::new(m.audit_dropped.clone()))?;
    Ok(m)
}

const RUN_STATUSES: [&str; 3] = ["succeeded", "partial", "failed"];
const OBJECT_RESULTS: [&str; 3] = ["moved", "failed", "skipped"];
const LIFECYCLE_ACTIONS: [&str; 3] = ["transition", "expiration", "abort_incomplete_multipart_upload"];

/// Makes a counter read `value` (counters only grow; one that would shrink, because run records
/// were removed, starts again from 0, which Prometheus reads as a counter reset).
fn set_counter(counter: &prometheus::IntCounter, value: i64) {
    let value = value.max(0) as u64;
    let now = counter.get();
    if value < now {
        counter.reset();
        counter.inc_by(value);
    } else if value > now {
        counter.inc_by(value - now);
    }
}

/// Sets the series that come from the catalog, whichever process did the work: objects and
/// bytes by tier, and the tiering figures from the run records (runs by status, objects and
/// bytes moved, the last run and the last success). Called on every scrape.
pub async fn refresh_from_catalog(catalog: &crate::catalog::Catalog) {
    let m = metrics();
    match catalog.tier_totals(None).await {
        Ok(totals) => {
            for (tier, t) in totals {
                m.objects.with_label_values(&[tier.as_str()]).set(t.objects as f64);
                m.bytes.with_label_values(&[tier.as_str()]).set(t.bytes as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the catalog"),
    }
    match catalog.run_totals().await {
        Ok(t) => {
            for status in RUN_STATUSES {
                let n = t.runs.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n);
                set_counter(&m.tiering_runs.with_label_values(&[status]), n);
            }
            for (result, n) in [("moved", t.moved), ("failed", t.failed), ("skipped", t.skipped)] {
                set_counter(&m.tiering_objects.with_label_values(&[result]), n);
            }
            set_counter(&m.tiering_bytes, t.bytes_moved);
            m.tiering_last_run.set(t.last_finished.unwrap_or(0) as f64 / 1000.0);
            m.tiering_last_success.set(t.last_success.unwrap_or(0) as f64 / 1000.0);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the tiering runs"),
    }
    match catalog.lifecycle_action_totals().await {
        Ok(t) => {
            for (action, ok, failed) in [
                ("transition", t.moved, t.move_failed),
                ("expiration", t.expired, t.expire_failed),
                ("abort_incomplete_multipart_upload", t.aborted, t.abort_failed),
            ] {
                set_counter(&m.lifecycle_actions.with_label_values(&[action, "succeeded"]), ok);
                set_counter(&m.lifecycle_actions.with_label_values(&[action, "failed"]), failed);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not read the lifecycle actions"),
    }
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| build().expect("metric names and labels are valid"))
}

impl Metrics {
    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}
