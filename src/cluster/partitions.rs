//! What ZooKeeper says about the Kafka cluster: the controller, the registered brokers and each
//! partition's leader, replicas and ISR. Read by running kafkalab-tools'
//! `zookeeper-cluster-state --json` (the runner keeps no ZooKeeper client of its own), with a
//! time limit, so a status never hangs on a ZooKeeper without quorum.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use serde::Deserialize;

use crate::cluster::plan::Kind;
use crate::cluster::state::Cluster;
use crate::lang::Lang;

/// How long one read may take: a ZooKeeper without quorum does not answer at all.
const READ_LIMIT: Duration = Duration::from_secs(8);

#[derive(Debug, Clone, Deserialize)]
pub struct ZkView {
    pub controller: Option<i32>,
    pub controller_epoch: Option<i32>,
    pub brokers: Vec<RegisteredBroker>,
    pub topics: Vec<TopicView>,
    /// Broker id → how many brokers its Metadata lists (null: it did not answer).
    #[serde(default)]
    pub metadata_brokers: std::collections::BTreeMap<String, Option<usize>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RegisteredBroker {
    pub id: i32,
    /// `host:port` of its PLAINTEXT listener.
    pub address: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct TopicView {
    pub name: String,
    pub marked_for_deletion: bool,
    pub partitions: Vec<PartitionView>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PartitionView {
    pub partition: i32,
    pub replicas: Vec<i32>,
    /// `None` before the controller wrote a state; −1 when no replica can lead.
    pub leader: Option<i32>,
    pub isr: Vec<i32>,
}

impl PartitionView {
    /// Kafka's words: offline (no leader), under-replicated (ISR smaller than the replicas).
    pub fn state(&self, lang: Lang) -> &'static str {
        match self.leader {
            None | Some(-1) => lang.pick("offline (no leader)", "오프라인(리더 없음)"),
            Some(_) if self.isr.len() < self.replicas.len() => {
                lang.pick("under-replicated", "복제 부족")
            }
            Some(_) => lang.pick("ok", "정상"),
        }
    }
}

impl ZkView {
    /// A controller is elected, `brokers` brokers are registered, and every one of them lists
    /// them all in its Metadata (the controller's UpdateMetadata reached it): clients and
    /// topic creation can start.
    pub fn ready(&self, brokers: usize) -> bool {
        self.controller.is_some()
            && self.brokers.len() >= brokers
            && self.metadata_brokers.len() >= brokers
            && self
                .metadata_brokers
                .values()
                .all(|n| n.is_some_and(|n| n >= brokers))
    }

    /// The broker id registered with `port` on 127.0.0.1.
    pub fn broker_at(&self, port: u16) -> Option<i32> {
        let suffix = format!(":{port}");
        self.brokers
            .iter()
            .find(|b| b.address.ends_with(&suffix))
            .map(|b| b.id)
    }
}

/// The brokers' `zookeeper.connect`, from the first broker's config file.
pub fn zookeeper_connect(cluster: &Cluster) -> Option<String> {
    let broker = cluster.servers.iter().find(|s| s.kind == Kind::Broker)?;
    let text = std::fs::read_to_string(cluster.config_path(broker)).ok()?;
    text.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "zookeeper.connect").then(|| value.trim().to_string())
    })
}

/// Reads the view; the error says why there is none (no tools binary saved, no answer).
pub fn read(cluster: &Cluster) -> Result<ZkView, String> {
    let tools = cluster
        .tools
        .as_ref()
        .ok_or("this cluster folder does not name its kafkalab-tools")?;
    let connect = zookeeper_connect(cluster).ok_or("no broker config names zookeeper.connect")?;
    let mut child = Command::new(tools)
        .args(["zookeeper-cluster-state", "--json", "--zookeeper", &connect])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", tools.display()))?;
    let deadline = Instant::now() + READ_LIMIT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "ZooKeeper did not answer within {} s",
                    READ_LIMIT.as_secs()
                ));
            }
        }
    };
    let (mut out, mut err) = (String::new(), String::new());
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_string(&mut err);
    }
    if !status.success() {
        let last = err.lines().last().unwrap_or("no message").to_string();
        return Err(last);
    }
    serde_json::from_str(&out).map_err(|e| format!("unreadable cluster state ({e})"))
}

/// One row per partition: topic, partition, leader, replicas, ISR, state.
pub fn table(view: &ZkView, lang: Lang) -> Table {
    let list = |ids: &[i32]| ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header([
        lang.pick("topic", "토픽"),
        lang.pick("partition", "파티션"),
        lang.pick("leader", "리더"),
        lang.pick("replicas", "레플리카"),
        "ISR",
        lang.pick("state", "상태"),
    ]);
    for topic in &view.topics {
        let name = if topic.marked_for_deletion {
            format!("{} ({})", topic.name, lang.pick("deleting", "삭제 중"))
        } else {
            topic.name.clone()
        };
        for p in &topic.partitions {
            let leader = match p.leader {
                None | Some(-1) => lang.pick("none", "없음").to_string(),
                Some(id) => id.to_string(),
            };
            table.add_row([
                name.clone(),
                p.partition.to_string(),
                leader,
                list(&p.replicas),
                list(&p.isr),
                p.state(lang).to_string(),
            ]);
        }
    }
    table
}

/// `Controller: broker 2 (epoch 3) · 3 brokers registered · 6 partitions, 0 offline`.
pub fn headline(view: &ZkView, lang: Lang) -> String {
    let partitions: Vec<&PartitionView> = view.topics.iter().flat_map(|t| &t.partitions).collect();
    let offline = partitions
        .iter()
        .filter(|p| matches!(p.leader, None | Some(-1)))
        .count();
    let under = partitions
        .iter()
        .filter(|p| matches!(p.leader, Some(l) if l >= 0) && p.isr.len() < p.replicas.len())
        .count();
    let controller = match (view.controller, view.controller_epoch, lang) {
        (Some(c), Some(e), Lang::En) => format!("Controller: broker {c} (epoch {e})"),
        (Some(c), Some(e), Lang::Ko) => format!("컨트롤러: 브로커 {c}(에포크 {e})"),
        (Some(c), None, Lang::En) => format!("Controller: broker {c}"),
        (Some(c), None, Lang::Ko) => format!("컨트롤러: 브로커 {c}"),
        (None, _, lang) => lang.pick("Controller: none", "컨트롤러: 없음").into(),
    };
    let (brokers, total) = (view.brokers.len(), partitions.len());
    match lang {
        Lang::En => format!(
            "{controller} · {brokers} brokers registered · {total} partitions, {offline} offline, {under} under-replicated"
        ),
        Lang::Ko => format!(
            "{controller} · 등록된 브로커 {brokers}대 · 파티션 {total}개, 오프라인 {offline}개, 복제 부족 {under}개"
        ),
    }
}
