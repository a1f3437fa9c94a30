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
                "Tiering passes finished, by status (succeeded, partial, failed).",
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
    m.registry.register(Box::new(m.tiering_runs.clone()))?;
    m.registry.register(Box::new(m.tiering_objects.clone()))?;
    m.registry.register(Box::new(m.tiering_bytes.clone()))?;
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
