//! # Lab 05 — a single broker
//!
//! A Kafka broker on tokio that real clients (kcat, librdkafka, kafka-python) use with no
//! special settings: ApiVersions, Metadata, Produce (acks 0, 1, −1), Fetch with long polling,
//! and ListOffsets, on top of lab 03's partition logs and lab 04's codec.
//!
//! # Layout
//! - `properties`, `config` — `server.properties`: the raw key/value map every lab reads its
//!   own keys from, and lab 05's keys with Kafka's defaults. Read first.
//! - `kafka_keys` — given: Kafka's keys no lab reads yet, and which lab makes each work; what
//!   the warning for an unused key says.
//! - `log_manager` — step 1: the partition logs in `log.dirs` (open, create, remove), and
//!   retention and flush on a timer.
//! - `partition` — one partition: its log and its replica state (leader epoch, replicas, ISR,
//!   high watermark); the [`Replication`] seam where lab 12 adds followers.
//! - `producer_state` — given: the seam where lab 14 checks idempotent producers' sequence
//!   numbers per partition (lab 05 checks none: a retried batch is stored twice).
//! - `broker` — given: the broker's state (settings, log manager, producer ids).
//! - `apis` — steps 2–6: one file per API, each the `Broker` method that decides the answer and
//!   the async `handle` around it; `CoreService` registers them.
//! - `router` — given: [`Service`], [`Router`]; how lab 06 and later add their APIs.
//! - `connection` — step 6: a socket and its buffer, one whole frame at a time (lab 04's
//!   framing).
//! - `server` — step 6: the accept loop, one task per connection, the designed shutdown.
//! - `shared` — given: the broker behind a lock, and the "something was appended" signal.
//! - `error` — the one error type.

pub mod apis;
pub mod broker;
pub mod config;
pub mod connection;
pub mod error;
pub mod kafka_keys;
pub mod listeners;
pub mod log_manager;
pub mod partition;
pub mod producer_state;
pub mod properties;
pub mod router;
pub mod server;
pub mod shared;

pub use apis::CoreService;
pub use broker::Broker;
pub use config::BrokerConfig;
pub use connection::Connection;
pub use error::{Error, Result};
pub use log_manager::LogManager;
pub use partition::{Partition, Replication, SingleReplica};
pub use producer_state::{PartitionProducers, ProducerCheck, ProducerStates};
pub use properties::ServerProperties;
pub use router::{Handled, Reply, RequestContext, Router, Service};
pub use shared::Shared;
