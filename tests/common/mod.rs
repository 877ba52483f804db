//! What the runner's cluster tests share: running `kafkalab cluster …` in a folder of their
//! own, on a block of free ports, reading the status table, and `down --purge` at the end.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use kafkalab_testkit as support;

pub fn kafkalab() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kafkalab"));
    // The tests read the English table, whatever the locale of the machine.
    command
        .env("KAFKALAB_TOOLS", support::built_tools_bin())
        .env("KAFKALAB_LANG", "en");
    command
}

pub fn cluster(dir: &Path, args: &[&str]) -> Output {
    kafkalab()
        .arg("cluster")
        .args(args)
        .arg("--dir")
        .arg(dir)
        .output()
        .unwrap()
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub fn ok(dir: &Path, args: &[&str]) -> String {
    let output = cluster(dir, args);
    assert!(
        output.status.success(),
        "kafkalab cluster {args:?} failed:\n{}",
        text(&output)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A block of 40 ports on 127.0.0.1 that are free now, below the ephemeral range (where the
/// servers' own outgoing connections take ports). Tests of this file take turns choosing.
pub fn free_block() -> u16 {
    static NEXT: Mutex<u16> = Mutex::new(0);
    let mut next = NEXT.lock().unwrap();
    if *next == 0 {
        // Spread by process, so two test runs at once start apart.
        *next = 20_000 + (std::process::id() % 250) as u16 * 40;
    }
    for _ in 0..300 {
        let base = *next;
        *next = if base >= 31_900 { 20_000 } else { base + 40 };
        if (base..base + 40).all(|p| TcpListener::bind(("127.0.0.1", p)).is_ok()) {
            return base;
        }
    }
    panic!("no block of 40 free ports between 20000 and 32000");
}

/// One row of the status table.
#[derive(Debug, Clone)]
pub struct Row {
    pub server: String,
    pub host: String,
    pub role: String,
    pub address: String,
    pub state: String,
    pub pid: Option<u32>,
}

/// The servers' table is the first one printed; the partitions' table follows it.
pub fn rows(table: &str) -> Vec<Row> {
    table
        .lines()
        .skip_while(|l| !l.starts_with('┌'))
        .take_while(|l| !l.starts_with('└'))
        .filter(|l| l.starts_with('│'))
        .map(|l| {
            l.split(['│', '┆'])
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|cells| cells.len() == 6 && cells[0] != "server")
        .map(|cells| Row {
            server: cells[0].clone(),
            host: cells[1].clone(),
            role: cells[2].clone(),
            address: cells[3].clone(),
            state: cells[4].clone(),
            pid: cells[5].parse().ok(),
        })
        .collect()
}

pub fn status(dir: &Path) -> Vec<Row> {
    rows(&ok(dir, &["status"]))
}

pub fn leaders(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter(|r| r.role == "zookeeper leader")
        .map(|r| r.server.clone())
        .collect()
}

/// Whether process `pid` runs (a zombie does not).
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !matches!(
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next()),
            Some("Z") | Some("X")
        )
    })
}

/// `cluster down --purge` when the test ends, passed or not: no server outlives it.
pub struct Down(pub PathBuf);

impl Drop for Down {
    fn drop(&mut self) {
        let _ = cluster(&self.0, &["down", "--purge"]);
    }
}
