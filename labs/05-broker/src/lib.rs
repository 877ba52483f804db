//! # Lab 05 — a single broker
//!
//! A Kafka broker on tokio that real clients (kcat, librdkafka, kafka-python) use with no
//! special settings: ApiVersions, Metadata, Produce (acks 0, 1, −1), Fetch with long polling,
//! and ListOffsets, on top of lab 03's partition logs and lab 04's codec.
//!
//! # Layout
//! - `config` — `server.properties` with Kafka's keys. Read first.
//! - `broker` — steps 1–5: topics on disk and one handler per request, plain synchronous code.
//! - `connection` — step 6: one client connection; answers in order; the long poll.
//! - `shared` — given: the broker behind a lock, and the "something was appended" signal.
//! - `server` — given: the accept loop, retention on a timer, graceful shutdown.
//! - `extension` — given: how lab 06 and later add their APIs to this broker.
//! - `error` — the one error type.

pub mod broker;
pub mod config;
pub mod connection;
pub mod error;
pub mod extension;
pub mod server;
pub mod shared;

pub use broker::Broker;
pub use config::BrokerConfig;
pub use error::{Error, Result};
pub use extension::Extension;
pub use shared::Shared;
