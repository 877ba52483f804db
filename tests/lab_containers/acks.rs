//! Acknowledged versus read back: a confluent-kafka producer (acks=all) runs from the host
//! while a test injects a fault, a consumer reads every partition back once the fault has
//! healed, and [`Tally`] says which acknowledged records are missing, and what the log holds
//! where each of them was acknowledged. The driver is tests/docker_faults_clients.py
//! (kafka-python).

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};

use kafkalab_testkit as support;
use serde_json::Value;

use super::{LabCluster, PartitionState};

/// The driver with `MODE BOOTSTRAP TOPIC`, resolving the brokers' names to 127.0.0.1.
fn driver(cluster: &LabCluster, mode: &str, topic: &str) -> Command {
    let mut python = Command::new("python3");
    python
        .arg(support::repo().join("tests/docker_faults_clients.py"))
        .args([mode, &cluster.bootstrap(), topic])
        .env("KAFKALAB_HOSTS", cluster.hosts());
    python
}

/// Whether the clients are here (python3 with kafka-python); skips, or fails under CI.
pub fn clients_present() -> bool {
    support::tool("python3", "apt-get install python3")
        && support::python_module("kafka", "pip install kafka-python")
}

/// A producer running in the background: values `RUN-0`..`RUN-(count-1)`.
pub struct Producer {
    child: Child,
    run: String,
}

impl Producer {
    /// Starts sending `count` records to `topic`, spread over `seconds`.
    pub fn start(
        cluster: &LabCluster,
        topic: &str,
        run: &str,
        count: u32,
        seconds: u32,
    ) -> Producer {
        let child = driver(cluster, "produce", topic)
            .arg(run)
            .arg(count.to_string())
            .arg(seconds.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        Producer {
            child,
            run: run.to_string(),
        }
    }

    /// Waits for every delivery report (the driver bounds it) and returns them.
    pub fn finish(self) -> Produced {
        let out = self.child.wait_with_output().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "the producer's report ({e}):\n{}",
                support::docker::output_text(&out)
            )
        });
        let acked = report["acked"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a[0].as_u64().unwrap(),
                    (a[1].as_u64().unwrap() as u32, a[2].as_i64().unwrap()),
                )
            })
            .collect();
        let failed = report["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f[0].as_u64().unwrap(), f[1].as_str().unwrap().to_string()))
            .collect();
        Produced {
            run: self.run,
            acked,
            failed,
            unresolved: report["unresolved"].as_u64().unwrap_or(0),
            seconds: report["seconds"].as_f64().unwrap_or(0.0),
        }
    }
}

/// The producer's delivery reports.
#[derive(Debug)]
pub struct Produced {
    pub run: String,
    /// Record number → (partition, offset) it was acknowledged at.
    pub acked: BTreeMap<u64, (u32, i64)>,
    /// Record number → the error it failed with (never acknowledged: not a loss).
    pub failed: BTreeMap<u64, String>,
    /// Records without a delivery report when the driver gave up.
    pub unresolved: u64,
    pub seconds: f64,
}

/// What a consumer read back: (value, partition, offset).
#[derive(Debug)]
pub struct ReadBack {
    pub records: Vec<(String, u32, i64)>,
    pub complete: bool,
    pub high_watermarks: String,
}

/// Reads every partition of `topic` from the start to its high watermark.
pub fn read_back(cluster: &LabCluster, topic: &str) -> ReadBack {
    let out = driver(cluster, "consume", topic).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the consumer's report ({e}):\n{}",
            support::docker::output_text(&out)
        )
    });
    ReadBack {
        records: report["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap().to_string(),
                    r[1].as_u64().unwrap() as u32,
                    r[2].as_i64().unwrap(),
                )
            })
            .collect(),
        complete: report["complete"].as_bool().unwrap_or(false),
        high_watermarks: report["high_watermarks"].to_string(),
    }
}

/// Acknowledged and lost, with what a reader needs to find each lost record.
#[derive(Debug)]
pub struct Tally {
    pub acknowledged: usize,
    pub failed: usize,
    pub unresolved: u64,
    pub read: usize,
    /// One line per acknowledged record that was not read back.
    pub lost: Vec<String>,
}

impl Tally {
    /// Compares the delivery reports with the read-back; `leaders` are the partitions' leaders
    /// before the fault, for the report.
    pub fn of(produced: &Produced, read: &ReadBack, before: &[PartitionState]) -> Tally {
        let prefix = format!("{}-", produced.run);
        let seen: BTreeSet<u64> = read
            .records
            .iter()
            .filter_map(|(v, _, _)| v.strip_prefix(&prefix)?.parse().ok())
            .collect();
        let at: BTreeMap<(u32, i64), &str> = read
            .records
            .iter()
            .map(|(v, p, o)| ((*p, *o), v.as_str()))
            .collect();
        let lost = produced
            .acked
            .iter()
            .filter(|(i, _)| !seen.contains(i))
            .map(|(i, (partition, offset))| {
                let leader = before
                    .iter()
                    .find(|p| p.partition == *partition)
                    .map_or("?".to_string(), |p| p.leader.to_string());
                let now = at.get(&(*partition, *offset)).copied().unwrap_or("nothing");
                format!(
                    "{}{i} acknowledged at partition {partition} offset {offset} (leader before \
                     the fault: broker {leader}); that offset now holds {now}",
                    prefix
                )
            })
            .collect();
        Tally {
            acknowledged: produced.acked.len(),
            failed: produced.failed.len(),
            unresolved: produced.unresolved,
            read: seen.len(),
            lost,
        }
    }
}
