//! # Lab 10 — a three-server ensemble on ZooKeeper's own quorum protocol
//!
//! # Layout
//! - `wire` — the bytes of ZooKeeper 3.8's election port (3888) and quorum port (2888), as
//!   codecs that never touch a socket. `PROTOCOL.md` tells the handshake as captured from
//!   Debian's ZooKeeper; `tests/data/` holds the captured bytes.

pub mod wire;
