//! The one error type of lab 10.

use crate::messages::ServerState;
use crate::zxid::Zxid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// ZooKeeper answers a client with a connection loss here: the client retries elsewhere.
    #[error("this server is {state:?} and not serving clients yet: retry on another server or after the election")]
    NotServing { state: ServerState },
    #[error("only the established leader proposes transactions; this server is {state:?}")]
    NotLeader { state: ServerState },
    #[error("a proposal must carry the next zxid {expected}, not {got}: ask next_zxid() first")]
    WrongZxid { expected: Zxid, got: Zxid },
    #[error("bad configuration: {0}")]
    Config(String),
}

pub type Result<T> = std::result::Result<T, Error>;
