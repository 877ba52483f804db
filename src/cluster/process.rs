//! The servers as background processes: started detached with their output in `server.log`,
//! remembered by a `server.pid` file, signalled with `kill` (SIGTERM to stop, SIGKILL to kill).
//!
//! Detached means in a process group of their own: Ctrl-C in the terminal that ran
//! `cluster up` reaches only the terminal's foreground group, so the cluster keeps running
//! after `up` (or a `status --watch`) ends, until `cluster down`.
//!
//! A pid alone can be reused by an unrelated process once ours has exited, so a pid counts as
//! our server only while that process's command line names the server's config file.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::error::Error;

pub const PID_FILE: &str = "server.pid";
pub const LOG_FILE: &str = "server.log";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Starts `command` in `folder`, detached, appending its output to `folder/server.log`, and
/// writes its pid to `folder/server.pid`.
pub fn spawn(mut command: Command, folder: &Path, name: &str) -> Result<Child, Error> {
    let log_path = folder.join(LOG_FILE);
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(io(&log_path))?;
    // A line that separates this start from the previous ones in the same log.
    writeln!(log, "==== kafkalab cluster: starting {name}: {command:?}").map_err(io(&log_path))?;
    let err_log = log.try_clone().map_err(io(&log_path))?;
    command
        .current_dir(folder)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(err_log));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let shown = format!("{command:?}");
    let child = command.spawn().map_err(|source| Error::Spawn {
        command: shown,
        source,
    })?;
    let pid_path = folder.join(PID_FILE);
    std::fs::write(&pid_path, format!("{}\n", child.id())).map_err(io(&pid_path))?;
    Ok(child)
}

/// The pid in `folder/server.pid`, if any.
pub fn read_pid(folder: &Path) -> Option<u32> {
    std::fs::read_to_string(folder.join(PID_FILE))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The pid of the server in `folder` if that process is running and is the server started
/// with `config` (an exited process, a zombie or a reused pid is not).
pub fn running_pid(folder: &Path, config: &Path) -> Option<u32> {
    let pid = read_pid(folder)?;
    is_our_process(pid, config).then_some(pid)
}

/// Whether `pid` has not exited yet (a zombie has; without /proc, whether it exists at all).
fn still_running(pid: u32) -> bool {
    if Path::new("/proc/self").exists() {
        // The state is the first field after the command name in parentheses; Z is a zombie
        // (exited, waiting to be reaped), X dead.
        return std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            !matches!(
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().next()),
                Some("Z") | Some("X") | None
            )
        });
    }
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn is_our_process(pid: u32, config: &Path) -> bool {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if !still_running(pid) {
        return false;
    }
    if Path::new("/proc/self").exists() {
        let Ok(cmdline) = std::fs::read(proc_dir.join("cmdline")) else {
            return false;
        };
        let config = config.to_string_lossy();
        return cmdline
            .split(|b| *b == 0)
            .any(|arg| String::from_utf8_lossy(arg) == config);
    }
    // Without /proc (macOS): the pid exists, which `still_running` found.
    true
}

/// Sends `signal` (`TERM`, `KILL`) to `pid`.
pub fn signal(pid: u32, signal: &str) -> Result<(), Error> {
    let status = Command::new("kill")
        .args([format!("-{signal}"), pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .map_err(|source| Error::Spawn {
            command: format!("kill -{signal} {pid}"),
            source,
        })?;
    // A process that ended in between is what we wanted; `running_pid` tells the rest.
    let _ = status;
    Ok(())
}

/// Waits until every process of `pids` has exited, at most `limit`; returns the indexes of those
/// still running. The pids are identified by the caller *before* it signals them: a process that
/// is ending has no command line in /proc any more but still runs, so identifying it afterwards
/// would take it for gone too early.
pub fn wait_gone(pids: &[u32], limit: Duration) -> Vec<usize> {
    let deadline = Instant::now() + limit;
    loop {
        let left: Vec<usize> = pids
            .iter()
            .enumerate()
            .filter(|(_, pid)| still_running(**pid))
            .map(|(i, _)| i)
            .collect();
        if left.is_empty() || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The last `n` lines of a server's log, for an error message.
pub fn log_tail(folder: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(folder.join(LOG_FILE)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
