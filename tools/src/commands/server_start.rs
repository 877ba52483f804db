//! What `kafka-server-start` and `zookeeper-server-start` share: reading the config file, the
//! runtime, the listening socket, and the signals that stop a server.

use std::path::Path;

use tokio::net::TcpListener;

use crate::error::Error;

/// The text of the server's config file (server.properties or zoo.cfg).
pub fn read_config(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A multi-threaded tokio runtime; `path` names the config in the (unlikely) error.
pub fn runtime(path: &Path) -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Runtime::new().map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Listens on `address` (`host:port`); returns the listener and the address it really got
/// (port 0 picks a free one, which scripts and tests read from the "started on" line).
pub async fn bind(address: String) -> Result<(TcpListener, String), Error> {
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|source| Error::Io {
            path: address.clone().into(),
            source,
        })?;
    let local = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or(address);
    Ok((listener, local))
}

/// Resolves on Ctrl-C or SIGTERM (what systemd and `docker stop` send): the server then stops
/// accepting, finishes what it is doing and flushes.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutting down");
}
