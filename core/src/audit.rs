//! The audit log: one JSON object a line for every state-changing request on both surfaces
//! (and reads with `audit.reads`), written to `audit.target` (stdout or a file) by a thread of
//! its own, so a slow disk never holds up a request.
//!
//! An event never carries a secret: no password, token, signature or secret key is ever put
//! in one (only access key *ids*, which AWS's CloudTrail logs as well).

use std::io::Write;
use std::net::IpAddr;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};

use serde::Serialize;

use crate::settings::{AuditSettings, AuditTarget};

/// Events queued for the writer at most; past it events are dropped and counted
/// (`tiergate_audit_events_dropped_total`, as are events a failed write lost), never waited for.
const QUEUE: usize = 65_536;

/// Which surface a request came in on.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Surface {
    Rest,
    S3,
}

/// One audited request.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// RFC 3339, UTC, milliseconds.
    pub time: String,
    pub surface: Surface,
    pub request_id: Option<String>,
    /// S3's operation name (`PutObject`, `DeleteObjects`…) or the REST action (`signup`,
    /// `login`, `login_failed`, `key_created`, `admin_set_quota`…).
    pub operation: String,
    /// The user the request acted as (for a failed login: the account it named, if any).
    pub user_id: Option<i64>,
    pub access_key_id: Option<String>,
    pub client: Option<IpAddr>,
    pub bucket: Option<String>,
    pub key: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
    /// Body bytes sent (writes) or answered (reads), when known.
    pub bytes: Option<u64>,
    /// The error code of a refused request (`QuotaExceeded`, `AccessDenied`, `invalid_credentials`…).
    pub error: Option<String>,
    /// The user an admin action was about.
    pub target_user_id: Option<i64>,
}

impl AuditEvent {
    /// An event for `operation` on `surface` answered with `status`, now; the rest unset.
    pub fn new(surface: Surface, operation: impl Into<String>, status: u16) -> Self {
        let now = time::OffsetDateTime::now_utc();
        let time = now
            .replace_nanosecond(now.millisecond() as u32 * 1_000_000)
            .unwrap_or(now)
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        Self {
            time,
            surface,
            request_id: None,
            operation: operation.into(),
            user_id: None,
            access_key_id: None,
            client: None,
            bucket: None,
            key: None,
            status,
            bytes: None,
            error: None,
            target_user_id: None,
        }
    }
}

/// Where events go; cheap to share.
#[derive(Debug)]
pub struct AuditLog {
    sender: Option<SyncSender<String>>,
    reads: bool,
}

impl AuditLog {
    /// Opens the target (a file is created when missing and appended to) and starts the writer.
    pub fn open(settings: &AuditSettings) -> std::io::Result<Self> {
        let out: Box<dyn Write + Send> = match &settings.target {
            AuditTarget::Off => return Ok(Self::off()),
            AuditTarget::Stdout => Box::new(std::io::stdout()),
            AuditTarget::File(path) => {
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)
                        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", parent.display())))?;
                }
                let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
                Box::new(file.map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?)
            }
        };
        let (sender, lines) = sync_channel::<String>(QUEUE);
        std::thread::Builder::new().name("tiergate-audit".into()).spawn(move || write_lines(out, lines))?;
        Ok(Self { sender: Some(sender), reads: settings.reads })
    }

    /// A log that records nothing.
    pub fn off() -> Self {
        Self { sender: None, reads: false }
    }

    /// Whether an operation is recorded: every write; reads only with `audit.reads`.
    pub fn wants(&self, is_read: bool) -> bool {
        self.sender.is_some() && (!is_read || self.reads)
    }

    /// Queues `event` for the writer; drops (and counts) it when the queue is full.
    pub fn record(&self, event: &AuditEvent) {
        let Some(sender) = &self.sender else { return };
        let Ok(line) = serde_json::to_string(event) else { return };
        match sender.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                crate::metrics::metrics().audit_dropped.inc();
            }
        }
    }
}

/// Writes each line whole, flushing whenever the queue runs dry. Events of a batch that could
/// not be written (a full disk) are counted as dropped, and the next batch starts on a line of
/// its own, so a line cut short never runs into the next event.
fn write_lines(mut out: Box<dyn Write + Send>, lines: std::sync::mpsc::Receiver<String>) {
    let mut buffered = Vec::with_capacity(64 * 1024);
    let mut broken = false;
    while let Ok(first) = lines.recv() {
        buffered.clear();
        if broken {
            buffered.push(b'\n');
        }
        let mut count = 1u64;
        buffered.extend_from_slice(first.as_bytes());
        buffered.push(b'\n');
        while let Ok(more) = lines.try_recv() {
            buffered.extend_from_slice(more.as_bytes());
            buffered.push(b'\n');
            count += 1;
            if buffered.len() >= 1024 * 1024 {
                break;
            }
        }
        match out.write_all(&buffered).and_then(|()| out.flush()) {
            Ok(()) => broken = false,
            Err(e) => {
                broken = true;
                crate::metrics::metrics().audit_dropped.inc_by(count);
                tracing::error!(error = %e, events = count, "could not write to the audit log; events dropped");
            }
        }
    }
}

/// Whether an S3 operation only reads (`Get…`, `Head…`, `List…`).
pub fn is_read_operation(name: &str) -> bool {
    name.starts_with("Get") || name.starts_with("Head") || name.starts_with("List")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails its first write after `good` bytes (as a full disk does), then works.
    struct FullOnce {
        out: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
        good: usize,
        failed: bool,
    }

    impl Write for FullOnce {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut out = self.out.lock().unwrap();
            if !self.failed && out.len() + buf.len() > self.good {
                self.failed = true;
                let n = self.good.saturating_sub(out.len());
                out.extend_from_slice(&buf[..n]);
                return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "no space left"));
            }
            out.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_counts_its_events_and_never_runs_a_cut_line_into_the_next() {
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (sender, lines) = sync_channel::<String>(16);
        let writer = FullOnce { out: out.clone(), good: 10, failed: false };
        let dropped = crate::metrics::metrics().audit_dropped.get();
        sender.send("{\"n\":1,\"pad\":\"xxxxxxxxxxxx\"}".into()).unwrap();
        let thread = std::thread::spawn(move || write_lines(Box::new(writer), lines));
        while out.lock().unwrap().is_empty() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        sender.send("{\"n\":2}".into()).unwrap();
        drop(sender);
        thread.join().unwrap();
        let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text:?}");
        assert!(serde_json::from_str::<serde_json::Value>(lines[0]).is_err(), "the cut line stands alone");
        assert_eq!(lines[1], "{\"n\":2}");
        assert!(crate::metrics::metrics().audit_dropped.get() > dropped, "the lost event is counted");
    }

    #[test]
    fn events_are_one_json_object_a_line_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("audit.log");
        let log = AuditLog::open(&AuditSettings { target: AuditTarget::File(path.clone()), reads: false }).unwrap();
        assert!(log.wants(false) && !log.wants(true), "writes always, reads only when asked");
        let mut event = AuditEvent::new(Surface::S3, "PutObject", 200);
        event.key = Some("line\nbreak".into());
        log.record(&event);
        log.record(&AuditEvent::new(Surface::Rest, "login_failed", 401));
        let mut text = String::new();
        for _ in 0..100 {
            text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.lines().count() == 2 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["operation"], "PutObject");
        assert_eq!(lines[0]["key"], "line\nbreak");
        assert_eq!(lines[1]["surface"], "rest");
        assert!(!AuditLog::off().wants(false));
    }
}
