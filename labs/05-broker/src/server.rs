//! The accept loop and a designed shutdown (tokio's graceful-shutdown guide, mini-redis'
//! `server.rs`): one task per connection, the log manager's timers beside them, and on
//! shutdown
//!
//! 1. stop accepting (every listener is dropped),
//! 2. tell every connection task and timer (a [`CancellationToken`]),
//! 3. wait for all of them to finish (a [`TaskTracker`]),
//! 4. then flush every log, when nothing can append any more.
//!
//! A connection task stops between requests or while it waits (a long poll, a read). An append
//! never stops half-way: it runs under the broker's lock with no `.await` inside.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::connection::Connection;
use crate::error::Result;
use crate::router::{Reply, Router};
use crate::shared::Shared;

/// Serves `listener` with `router` until `shutdown` completes, then stops every task and
/// flushes every partition of `shared`'s broker. The listener is the inter-broker one's name.
pub async fn run(
    listener: TcpListener,
    shared: Arc<Shared>,
    router: Arc<Router>,
    shutdown: impl Future<Output = ()>,
) {
    let name = shared.broker().config().inter_broker_listener.clone();
    run_listeners(vec![(name, listener)], shared, router, shutdown).await
}

/// [`run`] for every listener of the broker, each with its name: a connection is served as
/// arrived on its listener ([`crate::listeners::serve_on`]), so Metadata tells it that
/// listener's addresses.
pub async fn run_listeners(
    listeners: Vec<(String, TcpListener)>,
    shared: Arc<Shared>,
    router: Arc<Router>,
    shutdown: impl Future<Output = ()>,
) {
    let stop = CancellationToken::new();
    let tasks = TaskTracker::new();
    tasks.spawn(crate::log_manager::run_background(
        shared.clone(),
        stop.clone(),
    ));
    let max_frame = shared.broker().config().socket_request_max_bytes;
    for (name, listener) in listeners {
        let context = AcceptContext {
            name,
            max_frame,
            router: router.clone(),
            stop: stop.clone(),
            tasks: tasks.clone(),
        };
        tasks.spawn(accept_loop(listener, context));
    }
    shutdown.await;
    // Every accept loop drops its listener, and every connection stops.
    stop.cancel();
    tasks.close();
    tasks.wait().await;
    match shared.broker().flush_all() {
        Ok(()) => tracing::info!("shut down: every partition flushed"),
        Err(e) => tracing::error!("flush at shutdown: {e}"),
    }
}

/// What one listener's accept loop hands to the connections it accepts.
struct AcceptContext {
    name: String,
    max_frame: usize,
    router: Arc<Router>,
    stop: CancellationToken,
    tasks: TaskTracker,
}

/// Accepts on `listener` until the broker stops; one task per connection.
async fn accept_loop(listener: TcpListener, cx: AcceptContext) {
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let connection = Connection::new(stream, cx.max_frame, peer.to_string());
                    let (router, stop) = (cx.router.clone(), cx.stop.clone());
                    let served = crate::listeners::serve_on(cx.name.clone(), serve(connection, router, stop));
                    cx.tasks.spawn(async move {
                        if let Err(e) = served.await {
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
            _ = cx.stop.cancelled() => return,
        }
    }
}

/// Serves one connection until the client closes it, sends something unreadable, or the
/// broker shuts down. Requests are answered one at a time, so answers go out in request order
/// (clients pipeline, and match answers by correlation id).
pub async fn serve(
    mut connection: Connection<TcpStream>,
    router: Arc<Router>,
    stop: CancellationToken,
) -> Result<()> {
    loop {
        // BEGIN SOLUTION step 6: answer every whole frame in the buffer in order, then read more; stop on a bad frame or when the client closes
        // ko: 버퍼에 있는 완전한 프레임마다 차례로 답하고 더 읽기. 잘못된 프레임이거나 클라이언트가 닫으면 멈추기
        let frame = tokio::select! {
            frame = connection.read_frame() => frame,
            _ = stop.cancelled() => return Ok(()),
        };
        let Some(frame) = frame? else {
            return Ok(());
        };
        let peer = connection.peer().to_string();
        let reply = tokio::select! {
            reply = router.dispatch(&frame, &peer) => reply,
            _ = stop.cancelled() => return Ok(()),
        };
        match reply {
            Reply::Frame(bytes) => connection.write_frame(&bytes).await?,
            Reply::Nothing => {}
            Reply::Close => return Ok(()),
        }
        // END SOLUTION
    }
}
