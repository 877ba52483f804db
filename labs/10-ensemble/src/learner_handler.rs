//! The leader's view of one learner — ZooKeeper's `LearnerHandler` — and how the leader brings
//! that learner's log to its own history (`syncFollower`).
//!
//! The learner said its last logged zxid in ACKEPOCH (`peer_last`). The leader's history ends
//! at `sync_point`: everything it logged while it is still establishing itself, what it
//! committed once it has. Then:
//!
//! ```text
//! peer_last == sync_point                   DIFF(sync_point)             nothing is missing
//! peer_last >  sync_point (not an epoch's 0) TRUNC(sync_point)            an uncommitted tail
//! peer_last in the leader's log              DIFF(sync_point), then PROPOSAL+COMMIT for each
//!                                            logged txn after peer_last
//! peer_last between two of the leader's txns TRUNC(the one before), then the pairs after it
//!   of the same epoch                        (a tail the leader never had)
//! otherwise (too old, or across epochs)      SNAP(the leader's snapshot), then the pairs
//! ```
//! After that come the proposals not committed yet (PROPOSAL only: the learner ACKs them like
//! anyone), then NEWLEADER.

use crate::messages::{QuorumPacket, Sid};
use crate::zk_database::ZkDatabase;
use crate::zxid::Zxid;

/// Where a learner is in the leader's protocol with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandlerPhase {
    /// FOLLOWERINFO came; LEADERINFO goes out once the epoch is decided.
    Discovery,
    /// LEADERINFO sent; waiting for ACKEPOCH.
    AwaitingAckEpoch,
    /// ACKEPOCH came; waiting for a quorum of them before syncing.
    EpochAcked,
    /// Sync packets and NEWLEADER sent; waiting for its ACK. It gets new proposals from now on.
    Syncing,
    /// NEWLEADER ACKed; UPTODATE goes out once the leader is established.
    AwaitingStartup,
    /// UPTODATE sent: a follower in broadcast.
    Broadcast,
}

#[derive(Clone, Debug)]
pub struct LearnerHandler {
    pub sid: Sid,
    pub phase: HandlerPhase,
    /// From FOLLOWERINFO.
    pub accepted_epoch: i64,
    /// From ACKEPOCH.
    pub last_zxid: Zxid,
    /// The newest zxid of this epoch it ACKed (its log holds the leader's history up to it).
    pub acked: Zxid,
    /// The tick it was last heard from.
    pub last_heard: u64,
}

impl LearnerHandler {
    pub fn new(sid: Sid, accepted_epoch: i64, now: u64) -> LearnerHandler {
        LearnerHandler {
            sid,
            phase: HandlerPhase::Discovery,
            accepted_epoch,
            last_zxid: Zxid(0),
            acked: Zxid(0),
            last_heard: now,
        }
    }

    /// Does it get PROPOSAL and COMMIT packets (`forwardingFollowers`)?
    pub fn is_forwarding(&self) -> bool {
        matches!(
            self.phase,
            HandlerPhase::Syncing | HandlerPhase::AwaitingStartup | HandlerPhase::Broadcast
        )
    }

    /// Has it ACKed NEWLEADER (its ACKs count towards commits)?
    pub fn is_synced(&self) -> bool {
        matches!(
            self.phase,
            HandlerPhase::AwaitingStartup | HandlerPhase::Broadcast
        )
    }
}

/// The packets that bring a learner whose log ends at `peer_last` to the leader's history,
/// which ends at `sync_point` — everything before the outstanding proposals and NEWLEADER.
pub fn sync_packets(db: &ZkDatabase, peer_last: Zxid, sync_point: Zxid) -> Vec<QuorumPacket> {
    // BEGIN SOLUTION step 2: choose DIFF, TRUNC or SNAP as the table in this file says, followed by a PROPOSAL and COMMIT pair for every txn the learner lacks
    // ko: 이 파일의 표대로 DIFF, TRUNC, SNAP 중 하나를 고르고, 학습자에게 없는 트랜잭션마다 PROPOSAL과 COMMIT 쌍을 이어 붙이세요
    let pairs_after = |after: Zxid| {
        db.range(after, sync_point)
            .flat_map(|t| {
                [
                    QuorumPacket::Proposal(t.clone()),
                    QuorumPacket::Commit { zxid: t.zxid() },
                ]
            })
            .collect::<Vec<_>>()
    };
    let snap = || {
        let snapshot = db.snapshot().clone();
        let mut packets = vec![QuorumPacket::Snap {
            zxid: snapshot.zxid,
            snapshot: snapshot.clone(),
        }];
        packets.extend(pairs_after(snapshot.zxid));
        packets
    };
    if peer_last == sync_point {
        return vec![QuorumPacket::Diff { zxid: peer_last }];
    }
    if peer_last > sync_point && peer_last.counter() != 0 {
        return vec![QuorumPacket::Trunc { zxid: sync_point }];
    }
    if peer_last < db.snapshot().zxid || peer_last > sync_point {
        return snap();
    }
    if db.has_point(peer_last) || peer_last.counter() == 0 {
        let mut packets = vec![QuorumPacket::Diff { zxid: sync_point }];
        packets.extend(pairs_after(peer_last));
        return packets;
    }
    // The learner logged something the leader never had: cut back to the last shared point —
    // inside one epoch only (ZooKeeper's learners refuse a TRUNC across epochs; SNAP then).
    let before = db.point_before(peer_last);
    match db.point_after(peer_last) {
        Some(next) if next.epoch() == peer_last.epoch() => {
            let mut packets = vec![QuorumPacket::Trunc { zxid: before }];
            packets.extend(pairs_after(before));
            packets
        }
        _ => snap(),
    }
    // END SOLUTION
}
