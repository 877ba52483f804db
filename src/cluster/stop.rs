//! Stopping servers: `cluster stop` (SIGTERM), `cluster kill` (SIGKILL) and `cluster down`
//! (every server, brokers first; `--purge` also deletes what `up` wrote).

use std::path::Path;
use std::time::Duration;

use crate::cluster::plan::Kind;
use crate::cluster::state::Cluster;
use crate::cluster::{self as c, canonical, io, process};
use crate::error::Error;
use crate::lang::Lang;

/// How long a stopped server may take to flush and exit before `down` kills it.
const STOP_LIMIT: Duration = Duration::from_secs(15);

/// `stop` (TERM) and `kill` (KILL): signal the named servers that run, wait until they are
/// gone, show the table.
pub fn signal_servers(dir: &Path, name: &str, signal: &str, lang: Lang) -> Result<bool, Error> {
    let dir = canonical(dir)?;
    let cluster = Cluster::require(&dir)?;
    let selected = cluster.select(name)?;
    let mut waiting = Vec::new();
    for server in &selected {
        match cluster.pid(server) {
            Some(pid) => {
                process::signal(pid, signal)?;
                println!("{} {} (pid {pid})", verb(signal, lang), server.name);
                waiting.push((cluster.folder(server), pid));
            }
            None => match lang {
                Lang::En => println!("{} is not running", server.name),
                Lang::Ko => println!("{}은(는) 돌고 있지 않습니다", server.name),
            },
        }
    }
    let pids: Vec<u32> = waiting.iter().map(|(_, pid)| *pid).collect();
    let left = process::wait_gone(&pids, STOP_LIMIT);
    for i in &left {
        println!(
            "{} is still stopping after {}s; `kafkalab cluster kill {}` ends it now",
            waiting[*i]
                .0
                .file_name()
                .unwrap_or_default()
                .to_string_lossy(),
            STOP_LIMIT.as_secs(),
            waiting[*i]
                .0
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
        );
    }
    for (folder, _) in &waiting {
        if !left.iter().any(|i| &waiting[*i].0 == folder) {
            let _ = std::fs::remove_file(folder.join(process::PID_FILE));
        }
    }
    crate::commands::cluster::print_status(&cluster, &c::observe(&cluster), lang);
    Ok(left.is_empty())
}

fn verb(signal: &str, lang: Lang) -> &'static str {
    match signal {
        "KILL" => lang.pick("killed (SIGKILL)", "강제 종료(SIGKILL)"),
        _ => lang.pick("stopping (SIGTERM)", "멈추는 중(SIGTERM)"),
    }
}

pub fn down(dir: &Path, purge: bool, lang: Lang) -> Result<bool, Error> {
    let dir = canonical(dir)?;
    let cluster = Cluster::require(&dir)?;
    // Brokers first: from lab 11 on a broker leaves ZooKeeper as it stops, which needs the
    // ensemble still up.
    let mut stopped = 0;
    for kind in [Kind::Broker, Kind::Zookeeper] {
        // Brokers one at a time (a rolling stop): from lab 13 on each asks the controller to
        // move its leaderships to the others first, which only works while they still run.
        let running: Vec<_> = cluster
            .servers
            .iter()
            .filter(|s| s.kind == kind)
            .filter_map(|s| Some((cluster.folder(s), cluster.pid(s)?)))
            .collect();
        let groups: Vec<Vec<_>> = match kind {
            Kind::Broker => running.into_iter().map(|r| vec![r]).collect(),
            _ => vec![running],
        };
        for group in groups {
            stopped += group.len();
            stop_group(&dir, group)?;
        }
    }
    for server in &cluster.servers {
        let _ = std::fs::remove_file(cluster.folder(server).join(process::PID_FILE));
    }
    match lang {
        Lang::En => println!(
            "Stopped {stopped} servers of the cluster in {}.",
            dir.display()
        ),
        Lang::Ko => println!(
            "{}의 클러스터에서 서버 {stopped}대를 멈췄습니다.",
            dir.display()
        ),
    }
    if purge {
        // Only what `up` wrote: a folder the learner chose may hold other files.
        for server in &cluster.servers {
            let folder = cluster.folder(server);
            if folder.exists() {
                std::fs::remove_dir_all(&folder).map_err(io(&folder))?;
            }
        }
        let state = Cluster::state_path(&dir);
        std::fs::remove_file(&state).map_err(io(&state))?;
        let _ = std::fs::remove_dir(&dir);
        println!(
            "{}",
            lang.pick(
                "Deleted its configs, data and logs.",
                "설정, 데이터, 로그를 지웠습니다."
            )
        );
    } else {
        match lang {
            Lang::En => println!(
                "Its data and logs stay in {}: `kafkalab cluster up` starts it again on them, \
                 `kafkalab cluster down --purge` deletes them.",
                dir.display()
            ),
            Lang::Ko => println!(
                "데이터와 로그는 {}에 남습니다. `kafkalab cluster up`은 그 데이터로 다시 띄우고, \
                 `kafkalab cluster down --purge`는 지웁니다.",
                dir.display()
            ),
        }
    }
    Ok(true)
}

/// SIGTERM to each server of `waiting` (folder, pid), then waits; SIGKILL for those still
/// running after `STOP_LIMIT`.
fn stop_group(dir: &Path, waiting: Vec<(std::path::PathBuf, u32)>) -> Result<(), Error> {
    for (_, pid) in &waiting {
        process::signal(*pid, "TERM")?;
    }
    let pids: Vec<u32> = waiting.iter().map(|(_, pid)| *pid).collect();
    let left = process::wait_gone(&pids, STOP_LIMIT);
    for i in &left {
        let (folder, pid) = &waiting[*i];
        println!(
            "{} did not stop within {}s: killed (SIGKILL)",
            folder.file_name().unwrap_or_default().to_string_lossy(),
            STOP_LIMIT.as_secs()
        );
        process::signal(*pid, "KILL")?;
    }
    let still = process::wait_gone(&pids, Duration::from_secs(5));
    if !still.is_empty() {
        return Err(Error::Cluster(format!(
            "{} would not end; see `kafkalab cluster status --dir {}`",
            waiting[still[0]].0.display(),
            dir.display()
        )));
    }
    Ok(())
}
