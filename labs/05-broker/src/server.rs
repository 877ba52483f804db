//! The accept loop: one tokio task per connection, retention on a timer, and a designed
//! shutdown that stops accepting, lets no append half-finish, and fsyncs every log.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::extension::Extension;
use crate::shared::{now_ms, Shared};

/// Kafka's `log.retention.check.interval.ms` default: five minutes.
pub const RETENTION_CHECK_INTERVAL: Duration = Duration::from_secs(300);

/// Serves `listener` until `shutdown` completes, then flushes every partition. `ext` answers
/// the APIs of later labs; lab 05 alone passes `Arc::new(())`.
pub async fn run(
    listener: TcpListener,
    shared: Arc<Shared>,
    ext: Arc<impl Extension>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut retention = tokio::time::interval(RETENTION_CHECK_INTERVAL);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let (shared, ext) = (shared.clone(), ext.clone());
                    tokio::spawn(async move {
                        if let Err(e) = crate::connection::serve(stream, shared, ext).await {
                            tracing::info!(%peer, "connection ended: {e}");
                        }
                    });
                }
                Err(e) => {
                    // Out of file descriptors, for example: wait a little instead of spinning.
                    tracing::warn!("accept failed: {e}; retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            _ = retention.tick() => {
                match shared.broker().apply_retention(now_ms()) {
                    Ok(0) => {}
                    Ok(n) => tracing::info!("retention deleted {n} segments"),
                    Err(e) => tracing::error!("retention: {e}"),
                }
            }
            _ = &mut shutdown => break,
        }
    }
    match shared.broker().flush_all() {
        Ok(()) => tracing::info!("shut down: every partition flushed"),
        Err(e) => tracing::error!("flush at shutdown: {e}"),
    }
}
