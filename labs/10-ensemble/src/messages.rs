//! What the servers of an ensemble say to each other: election notifications (port 3888) and
//! quorum packets (port 2888). Each type holds exactly what ZooKeeper 3.8 puts on the wire,
//! typed; the byte codecs live elsewhere, so the core never touches bytes it does not need.
//!
//! ```text
//! election (FastLeaderElection.Notification, after the connection's initial message):
//!   state int | leader long | zxid long | electionEpoch long | peerEpoch long
//!   | version int | config length int + bytes
//! quorum (QuorumPacket in jute): type int | zxid long | data buffer | authinfo vector<Id>
//! ```
//! The `type` numbers are `Leader.java`'s constants ([`QuorumPacket::kind`]).

use std::collections::BTreeMap;

use crate::zxid::Zxid;

/// A server's id: the `N` of `server.N=host:2888:3888`, also in `dataDir/myid`.
pub type Sid = i64;

/// A session id (`sessionId`, `clientId` in a txn header).
pub type SessionId = i64;

/// `QuorumPeer.ServerState`, as its ordinal travels in a notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerState {
    Looking = 0,
    Following = 1,
    Leading = 2,
    Observing = 3,
}

impl ServerState {
    pub fn from_i32(n: i32) -> Option<ServerState> {
        match n {
            0 => Some(ServerState::Looking),
            1 => Some(ServerState::Following),
            2 => Some(ServerState::Leading),
            3 => Some(ServerState::Observing),
            _ => None,
        }
    }

    /// The word `srvr` prints after `Mode:` (`standalone` is the one state an ensemble member
    /// never has).
    pub fn mode(self) -> &'static str {
        match self {
            ServerState::Looking => "looking",
            ServerState::Following => "follower",
            ServerState::Leading => "leader",
            ServerState::Observing => "observer",
        }
    }
}

/// An election message (`FastLeaderElection.Notification` / `ToSend`): "I am in `state` and I
/// vote for `leader`, whose last zxid is `zxid` and epoch `peer_epoch`, in election round
/// `election_epoch`".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub state: ServerState,
    /// The proposed leader's sid.
    pub leader: Sid,
    /// The proposed leader's last logged zxid.
    pub zxid: Zxid,
    /// The sender's election round (`logicalclock`).
    pub election_epoch: i64,
    /// The proposed leader's current epoch.
    pub peer_epoch: i64,
    /// The notification format version (`0x2` in 3.8).
    pub version: i32,
    /// The sender's dynamic configuration (`QuorumVerifier.toString()` bytes), carried opaque.
    pub config: Vec<u8>,
}

/// The notification version ZooKeeper 3.8 sends.
pub const NOTIFICATION_VERSION: i32 = 0x2;

/// `LearnerInfo`, the data of FOLLOWERINFO and OBSERVERINFO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LearnerInfo {
    pub serverid: Sid,
    /// [`PROTOCOL_VERSION`].
    pub protocol_version: i32,
    /// The learner's configuration version (the zxid its config was written at; -1 unknown).
    pub config_version: i64,
}

/// The quorum protocol version of Zab 1.0 with reconfiguration (`0x10000`), sent in
/// FOLLOWERINFO and LEADERINFO.
pub const PROTOCOL_VERSION: i32 = 0x10000;

/// `TxnHeader` from zookeeper.jute: who asked for the change and which change it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnHeader {
    /// The session that asked (the new session's own id for createSession).
    pub client_id: SessionId,
    /// The request's `xid` on that session.
    pub cxid: i32,
    pub zxid: Zxid,
    /// The leader's wall clock when it prepared the change (ms).
    pub time: i64,
    /// The operation code (`ZooDefs.OpCode`: 1 create, 2 delete, 5 setData, -10 createSession,
    /// -11 closeSession, -1 error, 14 multi …).
    pub kind: i32,
}

/// One transaction: a PROPOSAL's data and one entry of the transaction log. The header is
/// typed because the core reads it (order, whose reply, sessions); the record after it — and,
/// in 3.6+, the `TxnDigest` that follows the record — is opaque bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Txn {
    pub header: TxnHeader,
    pub record: Vec<u8>,
}

impl Txn {
    pub fn zxid(&self) -> Zxid {
        self.header.zxid
    }
}

/// `ZooDefs.OpCode.createSession`: its record is `CreateSessionTxn { int timeOut }`.
pub const OP_CREATE_SESSION: i32 = -10;
/// `ZooDefs.OpCode.closeSession`.
pub const OP_CLOSE_SESSION: i32 = -11;
/// `ZooDefs.OpCode.sync`: a read barrier, never a transaction.
pub const OP_SYNC: i32 = 9;

/// A client request a follower forwards to the leader (REQUEST's data: `sessionId long, cxid
/// int, type int`, then the request record's bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub session: SessionId,
    pub cxid: i32,
    /// The operation code, as in [`TxnHeader::kind`].
    pub kind: i32,
    /// The request record, opaque (for createSession: the timeout int).
    pub data: Vec<u8>,
}

/// A state machine image at `zxid`: what SNAP sends and what the log starts after. ZooKeeper
/// streams it after the SNAP packet as `FileSnap` writes it: the sessions, then the DataTree.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// The last transaction the image includes (0: the empty tree).
    pub zxid: Zxid,
    /// Session id → timeout (ms), `ZKDatabase.sessionsWithTimeouts`.
    pub sessions: BTreeMap<SessionId, i32>,
    /// The serialized tree, opaque to the core.
    pub data: Vec<u8>,
}

/// One entry of a PING's touch table: a session a learner's clients used, and its timeout (ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionTouch {
    pub session: SessionId,
    pub timeout_ms: i32,
}

/// A packet on the quorum port: `QuorumPacket { type, zxid, data }` with `data` decoded per
/// type. Comments give the wire `zxid` and `data` of each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuorumPacket {
    /// 1, learner → leader: a client's write (or sync). zxid -1; data = the request.
    Request(Request),
    /// 2, leader → learner: log this. zxid = the txn's; data = TxnHeader + record.
    Proposal(Txn),
    /// 3, learner → leader: logged (fsynced) up to `zxid`; also the reply to NEWLEADER
    /// (`make(newEpoch, 0)`) and the one after UPTODATE. No data.
    Ack {
        zxid: Zxid,
    },
    /// 4, leader → learner: apply the proposal `zxid`. No data.
    Commit {
        zxid: Zxid,
    },
    /// 5, both ways. Leader → learner: zxid = last proposed, no data. Learner → leader (the
    /// reply, same zxid): data = the touch table, `sessionId long, timeout int` repeated.
    Ping {
        zxid: Zxid,
        touches: Vec<SessionTouch>,
    },
    /// 6, learner → leader: is this session (moving to me) still alive? data = `sessionId
    /// long, timeout int`. The reply, same type: data = `sessionId long, valid boolean`.
    Revalidate {
        session: SessionId,
        timeout_ms: i32,
    },
    RevalidateReply {
        session: SessionId,
        valid: bool,
    },
    /// 7, leader → learner: your oldest pending `sync` is done (everything before it in this
    /// stream is committed). zxid 0, no data.
    Sync,
    /// 10, leader → learner: the end of synchronization. zxid = `make(newEpoch, 0)`; data =
    /// the leader's quorum configuration (opaque).
    NewLeader {
        zxid: Zxid,
        config: Vec<u8>,
    },
    /// 11, learner → leader, first packet: zxid = `make(acceptedEpoch, 0)`; data = LearnerInfo.
    FollowerInfo {
        zxid: Zxid,
        info: LearnerInfo,
    },
    /// 12, leader → learner: synchronized, start serving. zxid -1, no data.
    UpToDate,
    /// 13, leader → learner: your log is a prefix of mine; what follows (PROPOSAL + COMMIT
    /// pairs) brings it to `zxid`. No data.
    Diff {
        zxid: Zxid,
    },
    /// 14, leader → learner: drop your log after `zxid`, then follow as after DIFF. No data.
    Trunc {
        zxid: Zxid,
    },
    /// 15, leader → learner: replace everything with this snapshot (zxid = its zxid). On the
    /// wire the snapshot is streamed right after the packet, not in its data.
    Snap {
        zxid: Zxid,
        snapshot: Snapshot,
    },
    /// 16, observer → leader: as FOLLOWERINFO.
    ObserverInfo {
        zxid: Zxid,
        info: LearnerInfo,
    },
    /// 17, leader → learner: the new epoch. zxid = `make(newEpoch, 0)`; data = the protocol
    /// version int.
    LeaderInfo {
        zxid: Zxid,
        protocol_version: i32,
    },
    /// 18, learner → leader: zxid = its last logged zxid; data = its current epoch int, or -1
    /// when it had already accepted this epoch (then it does not count as an ack).
    AckEpoch {
        zxid: Zxid,
        current_epoch: i32,
    },
}

/// `Leader.java`'s packet types.
pub mod kind {
    pub const REQUEST: i32 = 1;
    pub const PROPOSAL: i32 = 2;
    pub const ACK: i32 = 3;
    pub const COMMIT: i32 = 4;
    pub const PING: i32 = 5;
    pub const REVALIDATE: i32 = 6;
    pub const SYNC: i32 = 7;
    /// Observers only (proposal and commit in one); not used by this core.
    pub const INFORM: i32 = 8;
    /// Dynamic reconfiguration; not used by this core.
    pub const COMMITANDACTIVATE: i32 = 9;
    pub const NEWLEADER: i32 = 10;
    pub const FOLLOWERINFO: i32 = 11;
    pub const UPTODATE: i32 = 12;
    pub const DIFF: i32 = 13;
    pub const TRUNC: i32 = 14;
    pub const SNAP: i32 = 15;
    pub const OBSERVERINFO: i32 = 16;
    pub const LEADERINFO: i32 = 17;
    pub const ACKEPOCH: i32 = 18;
    /// Observers and reconfiguration; not used by this core.
    pub const INFORMANDACTIVATE: i32 = 19;
}

impl QuorumPacket {
    /// The packet's `type` on the wire.
    pub fn kind(&self) -> i32 {
        match self {
            QuorumPacket::Request(_) => kind::REQUEST,
            QuorumPacket::Proposal(_) => kind::PROPOSAL,
            QuorumPacket::Ack { .. } => kind::ACK,
            QuorumPacket::Commit { .. } => kind::COMMIT,
            QuorumPacket::Ping { .. } => kind::PING,
            QuorumPacket::Revalidate { .. } | QuorumPacket::RevalidateReply { .. } => {
                kind::REVALIDATE
            }
            QuorumPacket::Sync => kind::SYNC,
            QuorumPacket::NewLeader { .. } => kind::NEWLEADER,
            QuorumPacket::FollowerInfo { .. } => kind::FOLLOWERINFO,
            QuorumPacket::UpToDate => kind::UPTODATE,
            QuorumPacket::Diff { .. } => kind::DIFF,
            QuorumPacket::Trunc { .. } => kind::TRUNC,
            QuorumPacket::Snap { .. } => kind::SNAP,
            QuorumPacket::ObserverInfo { .. } => kind::OBSERVERINFO,
            QuorumPacket::LeaderInfo { .. } => kind::LEADERINFO,
            QuorumPacket::AckEpoch { .. } => kind::ACKEPOCH,
        }
    }
}

/// Anything one server sends another: a notification on the election port or a packet on the
/// quorum port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Election(Notification),
    Quorum(QuorumPacket),
}
