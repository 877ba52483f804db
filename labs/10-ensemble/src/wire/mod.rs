//! The bytes ZooKeeper 3.8's servers exchange, as codecs over byte slices: no sockets, no
//! clocks (STYLE.md §3). A shell owns the sockets and buffers; it hands these functions what
//! it has read so far and gets back either a value and how many bytes it used, or `None`,
//! which means "read more" and is not an error.
//!
//! Two ports, two framings:
//!
//! ```text
//! election port (3888, QuorumCnxManager):
//!   the connecting side first sends an initial message
//!     protocolVersion long (-65536) | sid long | addrLen int | "host:port" bytes
//!   then both sides send frames: length int | Notification body (FastLeaderElection)
//!
//! quorum port (2888, Learner / LearnerHandler):
//!   QuorumPacket records back to back, with NO length prefix (jute's writeRecord only
//!   writes the fields):  type int | zxid long | data buffer | authinfo vector<Id>
//!   after a SNAP packet the leader writes a serialized DataTree and the string
//!   "BenWasHere" straight onto the same stream, outside any packet.
//! ```
//!
//! # Layout
//! - [`election`] — the initial message, the notification, which of two crossing
//!   connections survives.
//! - [`quorum_packet`] — `QuorumPacket`, its type numbers (`Leader.java`), `LearnerInfo`.
//! - [`packets`] — what each packet's `data` holds: LEADERINFO, ACKEPOCH, PROPOSAL
//!   (`TxnHeader` + txn record + digest), REQUEST, PING, REVALIDATE, NEWLEADER, and the
//!   SNAP stream.
//!
//! `PROTOCOL.md` at the crate root tells the order of all this, as captured from Debian's
//! ZooKeeper 3.8; `tests/data/` holds the captured bytes.

pub mod election;
pub mod packets;
pub mod quorum_packet;

/// What can be wrong with bytes from another server. A decoder returns `Ok(None)` when the
/// bytes so far are only a prefix of a valid value; these errors mean the bytes can never
/// become valid, and ZooKeeper closes the connection on each of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("jute: {0}")]
    Jute(#[from] lab08_znodes::Error),
    #[error(
        "protocol version {0} in an initial message: ZooKeeper 3.5+ sends -65536 (or -65535 with several addresses)"
    )]
    UnknownProtocolVersion(i64),
    #[error("initial message address of {0} bytes: QuorumCnxManager accepts 1 to 2048")]
    BadAddressLength(i32),
    #[error("initial message address {0:?} is not host:port")]
    BadAddress(String),
    #[error("election frame of {0} bytes: QuorumCnxManager accepts 1 to 524288")]
    BadFrameLength(i32),
    #[error("notification of {0} bytes: FastLeaderElection needs at least 28")]
    ShortNotification(usize),
    #[error("notification config length {len} with {available} bytes left in the frame")]
    BadConfigLength { len: i32, available: usize },
    #[error("unknown server state {0} in a notification (0 LOOKING … 3 OBSERVING)")]
    UnknownState(i32),
    #[error("unknown quorum packet type {0} (Leader.java numbers them 1 to 19)")]
    UnknownPacketType(i32),
    #[error("{what} needs a data buffer and the packet has none")]
    MissingData { what: &'static str },
    #[error("{what} leaves {left} bytes unread")]
    TrailingBytes { what: &'static str, left: usize },
    #[error("unknown txn type {0}: cannot tell where its record ends")]
    UnknownTxnType(i32),
    #[error("a SNAP stream ends with {0:?} where the leader writes \"BenWasHere\"")]
    BadSignature(String),
}

pub type Result<T> = std::result::Result<T, WireError>;

/// A decoded value and how many bytes of the input it used; `None` means "read more".
pub type Decoded<T> = Option<(T, usize)>;

/// Turns "the input ended inside a value" into `Ok(None)` ("read more"), keeps the value
/// otherwise. Jute reports a cut-off value as `Truncated`; on a stream that only means the
/// rest has not arrived yet.
pub(crate) fn complete<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(WireError::Jute(lab08_znodes::Error::Truncated { .. })) => Ok(None),
        Err(e) => Err(e),
    }
}
