//! Between the core's typed messages (`messages.rs`) and the wire's packets (`wire/`): the
//! shell sends what the core says as ZooKeeper's bytes, and steps the core with what it reads.
//!
//! Two packets mean different things in each direction, and the packet alone does not say
//! which: a PING from a leader has no data, a follower's carries its touch table; a REVALIDATE
//! to the leader asks, one from it answers. So each conversion is told whether this server
//! speaks as the leader.

use lab08_znodes::acl::Id;
use lab08_znodes::jute::InputArchive;

use crate::messages::{
    LearnerInfo, Notification, QuorumPacket, Request, ServerState, SessionTouch, Snapshot, Txn,
    TxnHeader,
};
use crate::wire::election::{self, PeerState};
use crate::wire::packets::{
    decode_int, decode_ping_sessions, encode_int, encode_ping_sessions, ForwardedRequest,
    RevalidateAnswer, RevalidateRequest, SnapStream,
};
use crate::wire::quorum_packet::{self as wire, PacketType};
use crate::wire::{Result, WireError};
use crate::zxid::Zxid;

pub fn notification_to_wire(n: &Notification) -> election::Notification {
    election::Notification {
        state: match n.state {
            ServerState::Looking => PeerState::Looking,
            ServerState::Following => PeerState::Following,
            ServerState::Leading => PeerState::Leading,
            ServerState::Observing => PeerState::Observing,
        },
        leader: n.leader,
        zxid: n.zxid.0,
        election_epoch: n.election_epoch,
        peer_epoch: n.peer_epoch,
        version: n.version,
        config: Some(n.config.clone()),
    }
}

pub fn notification_from_wire(n: election::Notification) -> Notification {
    Notification {
        state: match n.state {
            PeerState::Looking => ServerState::Looking,
            PeerState::Following => ServerState::Following,
            PeerState::Leading => ServerState::Leading,
            PeerState::Observing => ServerState::Observing,
        },
        leader: n.leader,
        zxid: Zxid(n.zxid),
        election_epoch: n.election_epoch,
        peer_epoch: n.peer_epoch,
        version: n.version,
        config: n.config.unwrap_or_default(),
    }
}

/// A PROPOSAL's data: the header, then the record as the core carries it (opaque).
pub fn txn_to_bytes(t: &Txn) -> Vec<u8> {
    let mut o = lab08_znodes::jute::OutputArchive::new();
    let h = &t.header;
    o.write_long(h.client_id);
    o.write_int(h.cxid);
    o.write_long(h.zxid.0);
    o.write_long(h.time);
    o.write_int(h.kind);
    o.buf.extend_from_slice(&t.record);
    o.into_bytes()
}

pub fn txn_from_bytes(data: &[u8]) -> Result<Txn> {
    let mut i = InputArchive::new(data);
    let header = TxnHeader {
        client_id: i.read_long()?,
        cxid: i.read_int()?,
        zxid: Zxid(i.read_long()?),
        time: i.read_long()?,
        kind: i.read_int()?,
    };
    let record = data[data.len() - i.remaining()..].to_vec();
    Ok(Txn { header, record })
}

/// The wire bytes of one core packet, and — after SNAP — the snapshot stream that follows it.
/// `auth` is the client connection's ids, for a REQUEST.
pub fn packet_to_wire(p: &QuorumPacket, as_leader: bool, auth: &[Id]) -> Vec<u8> {
    let (kind, zxid, data) = match p {
        QuorumPacket::Request(r) => {
            let data = ForwardedRequest {
                session_id: r.session,
                cxid: r.cxid,
                kind: r.kind,
                request: r.data.clone(),
            }
            .encode();
            let mut packet = wire::QuorumPacket::new(PacketType::Request, -1, Some(data));
            packet.authinfo = Some(auth.to_vec());
            return packet.encode();
        }
        QuorumPacket::Proposal(t) => (PacketType::Proposal, t.zxid().0, Some(txn_to_bytes(t))),
        QuorumPacket::Ack { zxid } => (PacketType::Ack, zxid.0, None),
        QuorumPacket::Commit { zxid } => (PacketType::Commit, zxid.0, None),
        QuorumPacket::Ping { zxid, touches } => {
            let data = if as_leader {
                None
            } else {
                let table: Vec<(i64, i32)> =
                    touches.iter().map(|t| (t.session, t.timeout_ms)).collect();
                Some(encode_ping_sessions(&table))
            };
            (PacketType::Ping, zxid.0, data)
        }
        QuorumPacket::Revalidate {
            session,
            timeout_ms,
        } => (
            PacketType::Revalidate,
            -1,
            Some(
                RevalidateRequest {
                    session_id: *session,
                    timeout: *timeout_ms,
                }
                .encode(),
            ),
        ),
        QuorumPacket::RevalidateReply { session, valid } => (
            PacketType::Revalidate,
            -1,
            Some(
                RevalidateAnswer {
                    session_id: *session,
                    valid: *valid,
                }
                .encode(),
            ),
        ),
        QuorumPacket::Sync => (PacketType::Sync, 0, None),
        QuorumPacket::NewLeader { zxid, config } => {
            (PacketType::NewLeader, zxid.0, Some(config.clone()))
        }
        QuorumPacket::FollowerInfo { zxid, info } => (
            PacketType::FollowerInfo,
            zxid.0,
            Some(learner_info(info).encode()),
        ),
        QuorumPacket::ObserverInfo { zxid, info } => (
            PacketType::ObserverInfo,
            zxid.0,
            Some(learner_info(info).encode()),
        ),
        QuorumPacket::UpToDate => (PacketType::UpToDate, -1, None),
        QuorumPacket::Diff { zxid } => (PacketType::Diff, zxid.0, None),
        QuorumPacket::Trunc { zxid } => (PacketType::Trunc, zxid.0, None),
        QuorumPacket::Snap { zxid, snapshot } => {
            let mut bytes = wire::QuorumPacket::new(PacketType::Snap, zxid.0, None).encode();
            // The image follows the packet on the stream, outside it.
            bytes.extend_from_slice(&snapshot.data);
            return bytes;
        }
        QuorumPacket::LeaderInfo {
            zxid,
            protocol_version,
        } => (
            PacketType::LeaderInfo,
            zxid.0,
            Some(encode_int(*protocol_version)),
        ),
        QuorumPacket::AckEpoch {
            zxid,
            current_epoch,
        } => (
            PacketType::AckEpoch,
            zxid.0,
            Some(encode_int(*current_epoch)),
        ),
    };
    wire::QuorumPacket::new(kind, zxid, data).encode()
}

fn learner_info(info: &LearnerInfo) -> wire::LearnerInfo {
    wire::LearnerInfo {
        server_id: info.serverid,
        protocol_version: info.protocol_version,
        config_version: info.config_version,
    }
}

/// A packet read from the wire as the core's packet (`None`: a packet this core does not use,
/// such as an observer's INFORM). A REQUEST's auth ids come back beside it.
pub fn packet_from_wire(
    p: wire::QuorumPacket,
    as_leader: bool,
) -> Result<Option<(QuorumPacket, Vec<Id>)>> {
    let data = p.data.as_deref();
    let need = |what: &'static str| data.ok_or(WireError::MissingData { what });
    let packet = match p.kind {
        PacketType::Request => {
            let r = ForwardedRequest::decode(need("REQUEST")?)?;
            let auth = p.authinfo.clone().unwrap_or_default();
            return Ok(Some((
                QuorumPacket::Request(Request {
                    session: r.session_id,
                    cxid: r.cxid,
                    kind: r.kind,
                    data: r.request,
                }),
                auth,
            )));
        }
        PacketType::Proposal => QuorumPacket::Proposal(txn_from_bytes(need("PROPOSAL")?)?),
        PacketType::Ack => QuorumPacket::Ack { zxid: Zxid(p.zxid) },
        PacketType::Commit => QuorumPacket::Commit { zxid: Zxid(p.zxid) },
        PacketType::Ping => QuorumPacket::Ping {
            zxid: Zxid(p.zxid),
            touches: match data {
                Some(d) if as_leader => decode_ping_sessions(d)?
                    .into_iter()
                    .map(|(session, timeout_ms)| SessionTouch {
                        session,
                        timeout_ms,
                    })
                    .collect(),
                _ => Vec::new(),
            },
        },
        PacketType::Revalidate if as_leader => {
            let r = RevalidateRequest::decode(need("REVALIDATE")?)?;
            QuorumPacket::Revalidate {
                session: r.session_id,
                timeout_ms: r.timeout,
            }
        }
        PacketType::Revalidate => {
            let r = RevalidateAnswer::decode(need("REVALIDATE")?)?;
            QuorumPacket::RevalidateReply {
                session: r.session_id,
                valid: r.valid,
            }
        }
        PacketType::Sync => QuorumPacket::Sync,
        PacketType::NewLeader => QuorumPacket::NewLeader {
            zxid: Zxid(p.zxid),
            config: data.unwrap_or_default().to_vec(),
        },
        PacketType::FollowerInfo | PacketType::ObserverInfo => {
            let info = wire::LearnerInfo::decode(need("FOLLOWERINFO")?)?;
            let info = LearnerInfo {
                serverid: info.server_id,
                protocol_version: info.protocol_version,
                config_version: info.config_version,
            };
            if p.kind == PacketType::FollowerInfo {
                QuorumPacket::FollowerInfo {
                    zxid: Zxid(p.zxid),
                    info,
                }
            } else {
                QuorumPacket::ObserverInfo {
                    zxid: Zxid(p.zxid),
                    info,
                }
            }
        }
        PacketType::UpToDate => QuorumPacket::UpToDate,
        PacketType::Diff => QuorumPacket::Diff { zxid: Zxid(p.zxid) },
        PacketType::Trunc => QuorumPacket::Trunc { zxid: Zxid(p.zxid) },
        // The image comes next on the stream: the reader joins it with `snap_with_image`.
        PacketType::Snap => QuorumPacket::Snap {
            zxid: Zxid(p.zxid),
            snapshot: Snapshot::default(),
        },
        PacketType::LeaderInfo => QuorumPacket::LeaderInfo {
            zxid: Zxid(p.zxid),
            protocol_version: decode_int(need("LEADERINFO")?, "LEADERINFO")?,
        },
        PacketType::AckEpoch => QuorumPacket::AckEpoch {
            zxid: Zxid(p.zxid),
            current_epoch: decode_int(need("ACKEPOCH")?, "ACKEPOCH")?,
        },
        PacketType::Inform | PacketType::CommitAndActivate | PacketType::InformAndActivate => {
            return Ok(None)
        }
    };
    Ok(Some((packet, Vec::new())))
}

/// A SNAP packet with the image that followed it.
pub fn snap_with_image(zxid: i64, image: &SnapStream) -> QuorumPacket {
    QuorumPacket::Snap {
        zxid: Zxid(zxid),
        snapshot: Snapshot {
            zxid: Zxid(zxid),
            sessions: image.sessions.iter().copied().collect(),
            data: image.encode(),
        },
    }
}
