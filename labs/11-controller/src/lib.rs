//! # Lab 11 — membership and the controller
//!
//! The slides' three brokers find each other through ZooKeeper: each registers under
//! `/brokers/ids`, one of them becomes the *controller* through `/controller`, and the
//! controller decides who leads each partition and tells the others. This lab builds that on
//! Kafka 2.6's own znodes, as a pure core that a simulation drives, and then the brokers'
//! side of the controller's requests on the real wire.
//!
//! # Layout
//! - `zk_connect` — step 1: `zookeeper.connect`, its servers and chroot. Start here.
//! - `zk_data` — step 1: every znode's path and JSON (controller, epoch, cluster id, topic
//!   assignment, partition state, topic config).
//! - `broker_info` — step 1: `/brokers/ids/<id>`, a broker's registration.
//! - `admin_utils` — step 2: Kafka's rack-unaware replica assignment.
//! - `controller` — step 3: the controller core: election, failover, new topics, and the
//!   LeaderAndIsr/UpdateMetadata it sends.
//! - `request_batch` — step 3: the LeaderAndIsr and UpdateMetadata requests it builds.
//! - `partition_leader_election` — step 4: the next leader and ISR when brokers die or return.
//! - `broker_change` — step 4: the controller when `/brokers/ids` changes.
//! - `topic_deletion` — step 5: deleting a topic.
//! - `fencing` — step 5: how a broker refuses a deposed controller.
//! - `isr_change_notification` — given (lab 12's addition): a leader changed an ISR; the
//!   controller re-reads the partitions and sends UpdateMetadata.
//! - `broker_view` — step 5: a broker applying the three requests.
//! - `messages` — step 6: the three requests and their responses as bytes, every version
//!   Kafka 2.6 has (lab 04's shape: one file per API).
//! - `metadata_cache` — step 6: what a broker answers clients from once a controller spoke.
//! - `registration` — step 7: what a broker writes in ZooKeeper when it starts: the chroot,
//!   Kafka's persistent paths, `/cluster/id`, its ephemeral `/brokers/ids/<id>`.
//! - `replica_manager` — step 8: what LeaderAndIsr and StopReplica change in the logs
//!   (which partition logs to create, leader or follower, which to delete).
//! - `admin_manager` — step 8: CreateTopics, DeleteTopics and auto-creation in a cluster,
//!   written through ZooKeeper, then waiting for the controller's news.
//! - `group_placement` — step 8: which broker coordinates a group (the leader of its
//!   `__consumer_offsets` partition), FindCoordinator's answer, the internal topics.
//! - `cluster_group_service` — given: lab 07's group APIs at the coordinator, NOT_COORDINATOR
//!   elsewhere; a partition's offsets loaded when this broker becomes its leader.
//! - `cluster_config` — given: `default.replication.factor`, `offsets.topic.replication.factor`.
//! - `cluster_describe_configs` — given: DescribeConfigs answered for any topic of the cluster
//!   (the metadata cache and `/config/topics/<topic>`), not only the ones this broker holds.
//! - `cluster_topic_changes` — given: CreatePartitions and topic setting changes refused in a
//!   cluster, with the reason, instead of changing one broker's logs.
//! - `zk_session` — given: the tokio task that keeps a broker's ZooKeeper session (any listed
//!   server, pings, a new session and a new registration when the old one is lost).
//! - `service` — given: the broker side on the wire, a [`lab05_broker::Service`] that answers
//!   the three requests and makes Metadata, Produce, Fetch and ListOffsets follow the cache;
//!   in a cluster also CreateTopics and DeleteTopics (step 8's `admin_manager`).
//! - `zk_admin` — given: a request handler's way to write a new topic or a deletion into
//!   ZooKeeper through the session task.
//! - `controller_shell` — given: the controller running for real on the broker's session:
//!   watches and reads become events, the core's `Ready` becomes ZooKeeper multis and
//!   requests. Read it beside `tests/sim`, which drives the core the same way.
//! - `kafka_zk_client` — given: the shell's reads and epoch-guarded writes, chroot included.
//! - `admin_zk_client` — given: the session task's answers to `zk_admin`'s requests.
//! - `controller_channel_manager` — given: one queue and one TCP connection per live broker
//!   for the controller's requests, their answers handed back to the shell.
//! - `failover_rules` — given: the rules lab 13 teaches (unclean, controlled-shutdown and
//!   preferred election) as a trait the controller asks; lab 13 implements it.
//! - `failover` — given: the controller carrying those rules out (unclean election after the
//!   clean one, ControlledShutdown, ElectLeaders, the auto-rebalance check).
//! - `leadership` — given: the coordinators told when LeaderAndIsr makes this broker lead
//!   or follow a partition (Kafka's `onLeadershipChange`).
//! - `controller_commands` — given: ControlledShutdown and ElectLeaders from the request
//!   handlers to the session task, like `zk_admin`.
//! - `events` — given: the core's inputs and outputs, and the shell's rules.
//! - `requests` — given: LeaderAndIsr, UpdateMetadata, StopReplica as typed values.
//! - `error` — the one error type.

pub mod admin_manager;
pub mod admin_utils;
pub mod admin_zk_client;
pub mod broker_change;
pub mod broker_info;
pub mod broker_view;
pub mod cluster_config;
pub mod cluster_describe_configs;
pub mod cluster_group_service;
pub mod cluster_topic_changes;
pub mod controller;
pub mod controller_channel_manager;
pub mod controller_commands;
pub mod controller_shell;
pub mod error;
pub mod events;
pub mod failover;
pub mod failover_rules;
pub mod fencing;
pub mod group_placement;
pub mod isr_change_notification;
pub mod kafka_zk_client;
pub mod leadership;
pub mod messages;
pub mod metadata_cache;
pub mod partition_leader_election;
pub mod registration;
pub mod replica_manager;
pub mod request_batch;
pub mod requests;
pub mod service;
pub mod topic_deletion;
pub mod zk_admin;
pub mod zk_connect;
pub mod zk_data;
pub mod zk_session;

pub use admin_utils::{assign_replicas_to_brokers, AssignmentStart};
pub use broker_info::{BrokerInfo, EndPoint};
pub use broker_view::BrokerView;
pub use cluster_config::ClusterConfig;
pub use cluster_group_service::ClusterGroupService;
pub use controller::{Controller, Role};
pub use error::{Error, Result};
pub use events::{
    BrokerRequest, ClusterSnapshot, ControllerEvent, PartitionStateZNode, Ready, RegisteredBroker,
    ZkOp,
};
pub use metadata_cache::MetadataCache;
pub use registration::{register, Registration};
pub use requests::{ControllerRequest, ControllerResponse, TopicPartition};
pub use service::ControllerRequestsService;
pub use zk_admin::{AdminRequest, ZkAdmin};
pub use zk_connect::ZkConnect;
pub use zk_data::{LeaderIsrAndControllerEpoch, TopicAssignment, TopicConfig};
pub use zk_session::{BrokerSession, SessionConfig};
