//! Who counts as a quorum — ZooKeeper's `QuorumMaj` (the default `QuorumVerifier`).
//!
//! A quorum is any *strict majority* of the voting servers. Two majorities always share a
//! server, and that shared server is how every decision learns of every earlier one. With 3
//! servers a quorum is 2 (one may fail); with 5 it is 3 (two may fail); 4 servers need 3 and
//! survive only one failure, like 3: that is why ensembles have an odd size.

use std::collections::BTreeSet;

use crate::messages::Sid;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumMaj {
    voters: BTreeSet<Sid>,
}

impl QuorumMaj {
    pub fn new(voters: impl IntoIterator<Item = Sid>) -> QuorumMaj {
        QuorumMaj {
            voters: voters.into_iter().collect(),
        }
    }

    pub fn voters(&self) -> impl Iterator<Item = Sid> + '_ {
        self.voters.iter().copied()
    }

    pub fn is_voter(&self, sid: Sid) -> bool {
        self.voters.contains(&sid)
    }

    /// `containsQuorum`: do the voters among `ack_set` make a strict majority? Ids that are not
    /// voters (observers, strangers) and duplicates do not count.
    pub fn contains_quorum(&self, ack_set: impl IntoIterator<Item = Sid>) -> bool {
        // BEGIN SOLUTION step 1: count the distinct voters in the set; a quorum is more than half of all voters
        // ko: 집합 안의 서로 다른 투표자 수를 세세요. 전체 투표자의 절반보다 많으면 쿼럼입니다
        let acked: BTreeSet<Sid> = ack_set
            .into_iter()
            .filter(|s| self.voters.contains(s))
            .collect();
        acked.len() > self.voters.len() / 2
        // END SOLUTION
    }
}
