//! Waiting for servers to serve, with a progress line on a terminal: which are serving, which
//! are still awaited, and the seconds so far.

use std::io::{IsTerminal, Write};
use std::process::Child;
use std::time::{Duration, Instant};

use crate::cluster::plan::Server;
use crate::cluster::state::Cluster;
use crate::cluster::{self as c, process};
use crate::error::Error;
use crate::lang::Lang;

/// Waits until every server of `children` is healthy, at most until `limit` after `started`,
/// showing which are still awaited. A server that exits meanwhile ends the wait with the end of
/// its log.
pub fn wait_healthy(
    cluster: &Cluster,
    children: &mut [(Server, Child)],
    started: Instant,
    limit: Duration,
    lang: Lang,
) -> Result<(), Error> {
    let tty = std::io::stdout().is_terminal();
    let mut done = vec![false; children.len()];
    let mut out = std::io::stdout();
    loop {
        for (i, (server, child)) in children.iter_mut().enumerate() {
            if done[i] {
                continue;
            }
            if let Ok(Some(status)) = child.try_wait() {
                if tty {
                    let _ = write!(out, "\r\x1b[2K");
                }
                return Err(exited(cluster, server, &status.to_string()));
            }
            let observed = c::observe_one(cluster, server);
            if observed.healthy() {
                done[i] = true;
                if tty {
                    let _ = write!(out, "\r\x1b[2K");
                }
                let _ = writeln!(
                    out,
                    "  ✓ {:8} {} {} ({:.1} s)",
                    server.name,
                    // Display columns, not chars: Hangul takes two.
                    crate::text::pad(&observed.role(None, lang), 18),
                    server.address(),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        let waiting: Vec<&str> = children
            .iter()
            .zip(&done)
            .filter(|(_, d)| !**d)
            .map(|((s, _), _)| s.name.as_str())
            .collect();
        if waiting.is_empty() {
            if tty {
                let _ = write!(out, "\r\x1b[2K");
            }
            return Ok(());
        }
        if started.elapsed() >= limit {
            if tty {
                let _ = writeln!(out);
            }
            let details: Vec<String> = children
                .iter()
                .zip(&done)
                .filter(|(_, d)| !**d)
                .map(|((s, _), _)| {
                    let o = c::observe_one(cluster, s);
                    format!(
                        "{} is {} after {}s; the end of {}:\n{}",
                        s.name,
                        o.state(lang),
                        limit.as_secs(),
                        cluster.folder(s).join(process::LOG_FILE).display(),
                        process::log_tail(&cluster.folder(s), 10)
                    )
                })
                .collect();
            return Err(Error::Cluster(format!(
                "not every server served within {}s, so the cluster was stopped again.\n{}",
                limit.as_secs(),
                details.join("\n\n")
            )));
        }
        if tty {
            let spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let tick = (started.elapsed().as_millis() / 100) as usize % spinner.len();
            let _ = write!(
                out,
                "\r\x1b[2K{} {}/{} {} · {} {} ({:.0} s)",
                spinner[tick],
                children.len() - waiting.len(),
                children.len(),
                lang.pick("serving", "서비스 중"),
                lang.pick("waiting for", "기다리는 중:"),
                waiting.join(", "),
                started.elapsed().as_secs_f64()
            );
            let _ = out.flush();
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

pub fn exited(cluster: &Cluster, server: &Server, status: &str) -> Error {
    let folder = cluster.folder(server);
    Error::Cluster(format!(
        "{} ended ({status}) before it served, so the cluster was stopped again. The end of {}:\n{}",
        server.name,
        folder.join(process::LOG_FILE).display(),
        process::log_tail(&folder, 15)
    ))
}
