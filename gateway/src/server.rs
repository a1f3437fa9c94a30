//! Serving: one accepting task, and `server.gateway_threads` threads that each run a tokio
//! runtime of their own and serve the connections handed to them.
//!
//! A connection lives on one thread from its first byte to its last, with the tier connections
//! it reads from (`tiergate_core::storage::pool_tier_connections_per_thread`): a GET streamed
//! from MinIO or S3 then moves each chunk from socket to socket without waking another thread.
//! On a work-stealing runtime the two halves of that relay were often split across threads,
//! which cost a single cold GET about a tenth of its throughput (bench/RESULTS.md, session 5).

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tiergate_core::Core;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::{service, WithRequestId};

/// Serves the gateway on `listener` until `shutdown` completes, then lets requests in flight
/// finish (for up to 30 seconds).
pub async fn serve(
    core: Core,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let count = core.settings.server.gateway_threads;
    let max_connections = core.settings.server.max_connections;
    let read_timeout = core.settings.server.request_read_timeout;
    let service = WithRequestId::new(service(core.clone()).map_err(std::io::Error::other)?, &core);
    let threads = (0..count)
        .map(|i| ServingThread::start(i, service.clone(), read_timeout))
        .collect::<std::io::Result<Vec<_>>>()?;
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let Some((socket, _)) = tiergate_core::net::accept(&listener, &mut shutdown).await else { break };
        let open: usize = threads.iter().map(|t| t.connections.load(Ordering::Relaxed)).sum();
        if open >= max_connections {
            // Closed at once: a client past the limit costs a socket for no longer than this.
            tracing::debug!(open, max_connections, "connection refused: server.max_connections reached");
            continue;
        }
        let _ = socket.set_nodelay(true);
        let socket = match socket.into_std() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "could not hand over a connection");
                continue;
            }
        };
        let least_busy = threads.iter().min_by_key(|t| t.connections.load(Ordering::Relaxed));
        if let Some(thread) = least_busy {
            thread.hand_over(socket, graceful.watcher())?;
        }
    }
    // New connections are refused from here on; those open finish their requests.
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => tracing::warn!("requests still in flight after 30 s; closing"),
    }
    for thread in threads {
        thread.stop().await;
    }
    Ok(())
}

/// A connection a serving thread counts as open, until this is dropped.
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection on its way to a serving thread.
struct Handover {
    socket: std::net::TcpStream,
    watcher: Watcher,
}

/// One serving thread: its inbox, and how many connections it serves now.
struct ServingThread {
    inbox: mpsc::UnboundedSender<Handover>,
    connections: Arc<AtomicUsize>,
    stopped: oneshot::Receiver<()>,
}

impl ServingThread {
    fn start(index: usize, service: WithRequestId, read_timeout: Duration) -> std::io::Result<Self> {
        let (inbox, mut handovers) = mpsc::unbounded_channel::<Handover>();
        let (done, stopped) = oneshot::channel();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        std::thread::Builder::new().name(format!("tiergate-s3-{index}")).spawn(move || {
            tiergate_core::storage::pool_tier_connections_per_thread();
            runtime.block_on(async move {
                let mut http = ConnBuilder::new(TokioExecutor::new());
                // A client that does not send its headers in time (or, between requests, start
                // the next one) loses the connection: an idle or half-sent socket is not kept.
                http.http1().timer(TokioTimer::new()).header_read_timeout(read_timeout);
                http.http2().timer(TokioTimer::new()).keep_alive_interval(Some(read_timeout));
                while let Some(Handover { socket, watcher }) = handovers.recv().await {
                    let socket = match tokio::net::TcpStream::from_std(socket) {
                        Ok(s) => s,
                        Err(e) => {
                            count.fetch_sub(1, Ordering::Relaxed);
                            tracing::warn!(error = %e, "could not take over a connection");
                            continue;
                        }
                    };
                    let (http, service, open) =
                        (http.clone(), service.for_peer(socket.peer_addr().ok()), Open(count.clone()));
                    tokio::spawn(async move {
                        // Counted out however the task ends, a panic included.
                        let _open = open;
                        // The first bytes tell hyper which HTTP it is, and its header timeout
                        // starts only after them: a client that sends nothing is closed here.
                        if !tiergate_core::net::first_bytes_come(&socket, read_timeout).await {
                            tracing::debug!("connection closed: nothing sent within server.request_read_timeout");
                        } else {
                            let conn = watcher.watch(http.serve_connection(TokioIo::new(socket), service).into_owned());
                            if let Err(e) = conn.await {
                                tracing::debug!(error = %e, "connection ended with an error");
                            }
                        }
                    });
                }
            });
            // Connections still open after the grace period end with the runtime, here.
            drop(runtime);
            let _ = done.send(());
        })?;
        Ok(Self { inbox, connections, stopped })
    }

    /// Fails only when the thread has ended, which only a panic can do: the gateway then stops
    /// (and the process with it) rather than serve on with fewer threads.
    fn hand_over(&self, socket: std::net::TcpStream, watcher: Watcher) -> std::io::Result<()> {
        self.connections.fetch_add(1, Ordering::Relaxed);
        self.inbox
            .send(Handover { socket, watcher })
            .map_err(|_| std::io::Error::other("a gateway serving thread has stopped"))
    }

    /// Closes the inbox and waits for the thread to end.
    async fn stop(self) {
        drop(self.inbox);
        let _ = self.stopped.await;
    }
}
