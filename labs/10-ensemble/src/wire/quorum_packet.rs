//! The quorum port (2888): `QuorumPacket` records, back to back.
//!
//! ```text
//! QuorumPacket (zookeeper.jute, org.apache.zookeeper.server.quorum):
//!   type int       one of PacketType (Leader.java's constants)
//!   zxid long
//!   data buffer    int length (-1 = null) + bytes; what it holds depends on type (packets.rs)
//!   authinfo vector<Id>   int count (-1 = null), each: scheme ustring, id ustring
//!
//! LearnerInfo (the data of FOLLOWERINFO / OBSERVERINFO), 20 bytes:
//!   serverid long | protocolVersion int (0x10000) | configVersion long
//! ```
//! There is no frame length: `Learner.readPacket` calls `leaderIs.readRecord(qp, "packet")`,
//! and jute's `BinaryOutputArchive.writeRecord` writes only the fields. A reader therefore
//! cannot skip a packet without parsing it, and the SNAP stream that follows a SNAP packet
//! (see `packets.rs`) is read from the same stream with no packet around it.

use lab08_znodes::acl::Id;
use lab08_znodes::jute::{InputArchive, OutputArchive};

use super::{complete, Decoded, Result, WireError};

/// `Leader.java`'s packet types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// Follower → leader: a client's write (or sync) to run through the leader's chain.
    Request = 1,
    /// Leader → followers: a transaction to log and ACK.
    Proposal = 2,
    /// Follower → leader: a proposal (or NEWLEADER, UPTODATE) is logged.
    Ack = 3,
    /// Leader → followers: apply everything up to this zxid.
    Commit = 4,
    /// Both ways, every tick: liveness, and the follower's client sessions.
    Ping = 5,
    /// Both ways: is this session (moved to me) still alive?
    Revalidate = 6,
    /// Leader → follower: the answer to a client's `sync`.
    Sync = 7,
    /// Leader → observers: a committed proposal.
    Inform = 8,
    CommitAndActivate = 9,
    /// Leader → learner: end of sync; the data is the quorum config.
    NewLeader = 10,
    /// Follower → leader: the first packet, with `LearnerInfo`.
    FollowerInfo = 11,
    /// Leader → learner: synced; start serving clients.
    UpToDate = 12,
    /// Leader → learner: sync by replaying proposals (PROPOSAL+COMMIT pairs follow).
    Diff = 13,
    /// Leader → learner: drop your log after this zxid.
    Trunc = 14,
    /// Leader → learner: a whole snapshot follows on the stream.
    Snap = 15,
    ObserverInfo = 16,
    /// Leader → learner: the new epoch (in the zxid) and the leader's protocol version.
    LeaderInfo = 17,
    /// Learner → leader: my current epoch, my last zxid.
    AckEpoch = 18,
    InformAndActivate = 19,
}

impl PacketType {
    pub fn from_i32(n: i32) -> Result<PacketType> {
        use PacketType::*;
        Ok(match n {
            1 => Request,
            2 => Proposal,
            3 => Ack,
            4 => Commit,
            5 => Ping,
            6 => Revalidate,
            7 => Sync,
            8 => Inform,
            9 => CommitAndActivate,
            10 => NewLeader,
            11 => FollowerInfo,
            12 => UpToDate,
            13 => Diff,
            14 => Trunc,
            15 => Snap,
            16 => ObserverInfo,
            17 => LeaderInfo,
            18 => AckEpoch,
            19 => InformAndActivate,
            _ => return Err(WireError::UnknownPacketType(n)),
        })
    }

    /// The name ZooKeeper's logs use (`LearnerHandler.packetToString`).
    pub fn name(self) -> &'static str {
        use PacketType::*;
        match self {
            Request => "REQUEST",
            Proposal => "PROPOSAL",
            Ack => "ACK",
            Commit => "COMMIT",
            Ping => "PING",
            Revalidate => "REVALIDATE",
            Sync => "SYNC",
            Inform => "INFORM",
            CommitAndActivate => "COMMITANDACTIVATE",
            NewLeader => "NEWLEADER",
            FollowerInfo => "FOLLOWERINFO",
            UpToDate => "UPTODATE",
            Diff => "DIFF",
            Trunc => "TRUNC",
            Snap => "SNAP",
            ObserverInfo => "OBSERVERINFO",
            LeaderInfo => "LEADERINFO",
            AckEpoch => "ACKEPOCH",
            InformAndActivate => "INFORMANDACTIVATE",
        }
    }
}

/// One packet on the quorum port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumPacket {
    pub kind: PacketType,
    pub zxid: i64,
    /// `None` is jute's null buffer (length -1); ZooKeeper tells it from an empty one: a
    /// leader's PING has null data, a follower's PING without sessions has empty data.
    pub data: Option<Vec<u8>>,
    /// Only REQUEST packets carry ids (the client connection's auth); `None` is a null
    /// vector (count -1), which is what every other packet carries.
    pub authinfo: Option<Vec<Id>>,
}

impl QuorumPacket {
    /// A packet without auth info, as every packet but REQUEST is built.
    pub fn new(kind: PacketType, zxid: i64, data: Option<Vec<u8>>) -> QuorumPacket {
        QuorumPacket {
            kind,
            zxid,
            data,
            authinfo: None,
        }
    }

    /// Decodes the packet at the front of `buf`; `None` until all of it has arrived.
    pub fn decode(buf: &[u8]) -> Result<Decoded<QuorumPacket>> {
        let mut input = InputArchive::new(buf);
        let Some(packet) = complete(Self::read(&mut input))? else {
            return Ok(None);
        };
        Ok(Some((packet, buf.len() - input.remaining())))
    }

    fn read(input: &mut InputArchive<'_>) -> Result<QuorumPacket> {
        // BEGIN SOLUTION step 5: type int, zxid long, data buffer, then authinfo: an int count (-1 = null) of (scheme, id) ustrings
        // ko: type int, zxid long, data buffer, 그다음 authinfo: int 개수(-1 = null)만큼의 (scheme, id) ustring
        let kind = PacketType::from_i32(input.read_int()?)?;
        let zxid = input.read_long()?;
        let data = input.read_buffer()?;
        // Not `read_count`: that refuses a count larger than the bytes so far, which on a
        // stream only means the rest has not arrived.
        let count = input.read_int()?;
        let authinfo = match count {
            -1 => None,
            n if n < 0 => {
                return Err(WireError::Jute(lab08_znodes::Error::BadLength {
                    what: "authinfo",
                    len: n,
                }))
            }
            n => {
                let mut ids = Vec::new();
                for _ in 0..n {
                    let scheme = input.read_path()?;
                    let id = input.read_path()?;
                    ids.push(Id { scheme, id });
                }
                Some(ids)
            }
        };
        Ok(QuorumPacket {
            kind,
            zxid,
            data,
            authinfo,
        })
        // END SOLUTION
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = OutputArchive::new();
        self.write(&mut out);
        out.into_bytes()
    }

    pub fn write(&self, out: &mut OutputArchive) {
        out.write_int(self.kind as i32);
        out.write_long(self.zxid);
        out.write_buffer(self.data.as_deref());
        match &self.authinfo {
            None => out.write_int(-1),
            Some(ids) => {
                out.write_int(ids.len() as i32);
                for id in ids {
                    out.write_string(Some(&id.scheme));
                    out.write_string(Some(&id.id));
                }
            }
        }
    }

    /// The data buffer, or an error naming what needed it.
    pub fn data_for(&self, what: &'static str) -> Result<&[u8]> {
        self.data.as_deref().ok_or(WireError::MissingData { what })
    }
}

/// `Learner`'s protocol version (`0x10000`), sent in `LearnerInfo` and `LEADERINFO`.
pub const LEARNER_PROTOCOL_VERSION: i32 = 0x10000;

/// The data of FOLLOWERINFO (and OBSERVERINFO): who is joining.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LearnerInfo {
    pub server_id: i64,
    pub protocol_version: i32,
    /// The version of the learner's quorum config (`version=` in the dynamic config; 0 without).
    pub config_version: i64,
}

impl LearnerInfo {
    pub fn decode(data: &[u8]) -> Result<LearnerInfo> {
        let mut input = InputArchive::new(data);
        let info = LearnerInfo {
            server_id: input.read_long()?,
            protocol_version: input.read_int()?,
            config_version: input.read_long()?,
        };
        no_trailing(&input, "LearnerInfo")?;
        Ok(info)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = OutputArchive::new();
        out.write_long(self.server_id);
        out.write_int(self.protocol_version);
        out.write_long(self.config_version);
        out.into_bytes()
    }
}

pub(crate) fn no_trailing(input: &InputArchive<'_>, what: &'static str) -> Result<()> {
    match input.remaining() {
        0 => Ok(()),
        left => Err(WireError::TrailingBytes { what, left }),
    }
}
