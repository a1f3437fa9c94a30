//! What both listeners (the S3 gateway and the control plane) do with a new connection.

use std::time::Duration;

/// Whether a client sends its first bytes within `timeout` (it may have closed instead). The
/// first bytes tell hyper which HTTP a connection speaks, and its header timeout starts only
/// after them, so a client that sends nothing is closed on this answer. `peek` waits for real
/// data, where a fresh socket's readiness may be reported before any.
pub async fn first_bytes_come(socket: &tokio::net::TcpStream, timeout: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(tokio::time::timeout(timeout, socket.peek(&mut byte)).await, Ok(Ok(n)) if n > 0)
}
