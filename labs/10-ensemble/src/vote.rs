//! A vote: whom a server wants as leader — ZooKeeper's `Vote`.
//!
//! Votes are compared by `FastLeaderElection.totalOrderPredicate`: the candidate with the newer
//! *epoch* wins; at the same epoch the one with the longer history (higher last zxid); at the
//! same zxid the higher server id, only so that there is always exactly one winner. Voting for
//! the newest history is what makes ZAB safe: every committed transaction is on a quorum, every
//! quorum of voters shares a server with it, so the winner has seen it.

use std::cmp::Ordering;

use crate::messages::{ServerState, Sid};
use crate::zxid::Zxid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vote {
    /// The proposed leader.
    pub leader: Sid,
    /// The proposed leader's last logged zxid.
    pub zxid: Zxid,
    /// The election round this vote was cast in (`logicalclock`).
    pub election_epoch: i64,
    /// The proposed leader's current epoch.
    pub peer_epoch: i64,
    /// The state of the server that cast it (LOOKING while an election runs).
    pub state: ServerState,
}

impl Vote {
    /// `totalOrderPredicate(newId, newZxid, newEpoch, curId, curZxid, curEpoch)`: is the
    /// candidate of `self` better than the one of `other`? Only (peer epoch, zxid, leader) count.
    pub fn compare_candidate(&self, other: &Vote) -> Ordering {
        // BEGIN SOLUTION step 1: order by peer epoch, then zxid, then leader id
        // ko: 피어 에포크, 그다음 zxid, 그다음 리더 id 순으로 비교하세요
        (self.peer_epoch, self.zxid, self.leader).cmp(&(other.peer_epoch, other.zxid, other.leader))
        // END SOLUTION
    }

    /// `Vote.equals`, used to count matching votes. While either side is LOOKING, all of leader,
    /// zxid, election epoch and peer epoch must match. Between servers already out of the
    /// election (FOLLOWING or LEADING) only the leader and its epoch do: they agreed in some
    /// round, and their zxids have moved on since.
    pub fn agrees_with(&self, other: &Vote) -> bool {
        // BEGIN SOLUTION step 1: compare all four while either is LOOKING, else leader and peer epoch only
        // ko: 어느 한쪽이 LOOKING이면 네 값 모두, 아니면 리더와 피어 에포크만 비교하세요
        if self.state == ServerState::Looking || other.state == ServerState::Looking {
            self.leader == other.leader
                && self.zxid == other.zxid
                && self.election_epoch == other.election_epoch
                && self.peer_epoch == other.peer_epoch
        } else {
            self.leader == other.leader && self.peer_epoch == other.peer_epoch
        }
        // END SOLUTION
    }
}
