//! What both listeners (the S3 gateway and the control plane) do with a new connection.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Whether a client sends its first bytes within `timeout` (it may have closed instead). The
/// first bytes tell hyper which HTTP a connection speaks, and its header timeout starts only
/// after them, so a client that sends nothing is closed on this answer. `peek` waits for real
/// data, where a fresh socket's readiness may be reported before any.
pub async fn first_bytes_come(socket: &TcpStream, timeout: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(tokio::time::timeout(timeout, socket.peek(&mut byte)).await, Ok(Ok(n)) if n > 0)
}

/// The next connection on `listener`, or `None` once `shutdown` completes. An accept that fails
/// (out of file descriptors, a connection reset before it was taken) is logged and retried a
/// moment later, rather than ending the listener.
pub async fn accept(
    listener: &TcpListener,
    shutdown: &mut Pin<&mut (impl Future<Output = ()> + ?Sized)>,
) -> Option<(TcpStream, SocketAddr)> {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => return Some(conn),
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = shutdown.as_mut() => return None,
        }
    }
}
