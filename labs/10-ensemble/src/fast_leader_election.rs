//! Leader election — ZooKeeper's `FastLeaderElection`.
//!
//! A server that has no leader is LOOKING. It starts a round (`logicalclock` + 1), votes for
//! itself and tells every voter. On each notification from another LOOKING server:
//!
//! - a newer round: jump to it, forget the votes of the old one, and vote for the better of the
//!   sender's candidate and itself;
//! - an older round: ignore it (but answer with the current vote, so the sender catches up);
//! - the same round: switch to the sender's candidate if it is better ([`Vote::compare_candidate`]).
//!
//! Every change of vote is sent to everyone. Once a quorum of the round's votes agree with its
//! own, the server waits a moment for a better vote (one tick here, `finalizeWait` in
//! ZooKeeper), then stops: it is LEADING if it voted for itself, else FOLLOWING.
//!
//! A server that joins late hears from servers that are already FOLLOWING or LEADING (they
//! answer a LOOKING server with the vote that made them leave). It follows their leader once a
//! quorum of them agree and the leader itself said it is LEADING — the *out of election* rule,
//! so that it never follows a leader that is gone.
//!
//! Notifications travel over connections that break: with no answer, a LOOKING server sends its
//! vote again, waiting twice as long each time (up to a limit).

use std::collections::BTreeMap;

use crate::messages::{Message, Notification, ServerState, Sid, NOTIFICATION_VERSION};
use crate::quorum_verifier::QuorumMaj;
use crate::ready::Outgoing;
use crate::vote::Vote;
use crate::zxid::Zxid;

#[derive(Clone, Debug)]
pub struct FastLeaderElection {
    my_id: Sid,
    /// The election round.
    pub logicalclock: i64,
    /// This server's own candidacy at the start of the round: (last logged zxid, current epoch).
    init_zxid: Zxid,
    init_epoch: i64,
    /// The vote this server currently casts (state LOOKING, `election_epoch` = `logicalclock`).
    proposal: Vote,
    /// The votes of this round, by sender (this server's own included).
    recvset: BTreeMap<Sid, Vote>,
    /// The votes of servers already out of the election, by sender.
    outofelection: BTreeMap<Sid, Vote>,
    /// A quorum agrees with the proposal: it becomes final at the next tick unless a better
    /// vote arrives first (ZooKeeper's `finalizeWait`, 200 ms).
    finalizing: bool,
    /// Ticks since the last notification arrived, and the wait before sending again.
    idle_ticks: u64,
    notify_interval: u64,
    max_notification_interval: u64,
    config: Vec<u8>,
}

impl FastLeaderElection {
    pub fn new(my_id: Sid, max_notification_interval: u64, config: Vec<u8>) -> Self {
        let me = Vote {
            leader: my_id,
            zxid: Zxid(0),
            election_epoch: 0,
            peer_epoch: 0,
            state: ServerState::Looking,
        };
        FastLeaderElection {
            my_id,
            logicalclock: 0,
            init_zxid: Zxid(0),
            init_epoch: 0,
            proposal: me,
            recvset: BTreeMap::new(),
            outofelection: BTreeMap::new(),
            finalizing: false,
            idle_ticks: 0,
            notify_interval: 1,
            max_notification_interval: max_notification_interval.max(1),
            config,
        }
    }

    /// The vote this server casts now.
    pub fn proposal(&self) -> Vote {
        self.proposal
    }

    /// `lookForLeader`'s start: a new round, voting for itself, told to every voter.
    pub fn start(
        &mut self,
        last_logged: Zxid,
        current_epoch: i64,
        quorum: &QuorumMaj,
        out: &mut Vec<Outgoing>,
    ) {
        self.logicalclock += 1;
        self.init_zxid = last_logged;
        self.init_epoch = current_epoch;
        self.recvset.clear();
        self.outofelection.clear();
        self.finalizing = false;
        self.idle_ticks = 0;
        self.notify_interval = 1;
        self.update_proposal(self.my_id, last_logged, current_epoch);
        self.send_notifications(quorum, out);
    }

    /// This server's initial vote in the current round.
    fn init_vote(&self) -> Vote {
        Vote {
            leader: self.my_id,
            zxid: self.init_zxid,
            election_epoch: self.logicalclock,
            peer_epoch: self.init_epoch,
            state: ServerState::Looking,
        }
    }

    fn update_proposal(&mut self, leader: Sid, zxid: Zxid, peer_epoch: i64) {
        self.finalizing = false;
        self.proposal = Vote {
            leader,
            zxid,
            election_epoch: self.logicalclock,
            peer_epoch,
            state: ServerState::Looking,
        };
    }

    /// The notification that carries `vote`, sent by a server in `state`.
    pub fn notification(&self, vote: &Vote, state: ServerState) -> Notification {
        Notification {
            state,
            leader: vote.leader,
            zxid: vote.zxid,
            election_epoch: vote.election_epoch,
            peer_epoch: vote.peer_epoch,
            version: NOTIFICATION_VERSION,
            config: self.config.clone(),
        }
    }

    /// `sendNotifications`: the current vote to every voter. ZooKeeper also sends it to itself
    /// and counts it on arrival; we count it at once.
    pub fn send_notifications(&mut self, quorum: &QuorumMaj, out: &mut Vec<Outgoing>) {
        let n = self.notification(&self.proposal, ServerState::Looking);
        for to in quorum.voters().filter(|s| *s != self.my_id) {
            out.push(Outgoing {
                to,
                msg: Message::Election(n.clone()),
            });
        }
        self.recvset.insert(self.my_id, self.proposal);
    }

    /// A notification from voter `from` while this server is LOOKING. Returns the final vote
    /// once the election is over for this server (its `leader` says whom to follow; LEADING
    /// when it is this server). A quorum agreeing in its own round ends it at the next
    /// [`FastLeaderElection::tick`] instead, unless a better vote comes first.
    pub fn receive(
        &mut self,
        from: Sid,
        n: &Notification,
        quorum: &QuorumMaj,
        out: &mut Vec<Outgoing>,
    ) -> Option<Vote> {
        self.idle_ticks = 0;
        let vote = Vote {
            leader: n.leader,
            zxid: n.zxid,
            election_epoch: n.election_epoch,
            peer_epoch: n.peer_epoch,
            state: n.state,
        };
        match n.state {
            ServerState::Looking => self.receive_looking(from, vote, quorum, out),
            ServerState::Following | ServerState::Leading => {
                self.receive_out_of_election(from, vote, quorum)
            }
            ServerState::Observing => None,
        }
    }

    /// The LOOKING case of `lookForLeader` (plus `WorkerReceiver`'s answer to an old round).
    fn receive_looking(
        &mut self,
        from: Sid,
        n: Vote,
        quorum: &QuorumMaj,
        out: &mut Vec<Outgoing>,
    ) -> Option<Vote> {
        // BEGIN SOLUTION step 1: follow newer rounds, answer older ones, adopt better candidates, then mark finalizing once a quorum agrees with the proposal
        // ko: 더 새로운 라운드는 따라가고, 오래된 라운드에는 현재 표로 답하고, 더 나은 후보는 받아들인 뒤, 쿼럼이 제안과 같으면 finalizing으로 표시하세요
        if n.election_epoch > self.logicalclock {
            self.logicalclock = n.election_epoch;
            self.recvset.clear();
            let init = self.init_vote();
            if n.compare_candidate(&init).is_gt() {
                self.update_proposal(n.leader, n.zxid, n.peer_epoch);
            } else {
                self.update_proposal(init.leader, init.zxid, init.peer_epoch);
            }
            self.send_notifications(quorum, out);
        } else if n.election_epoch < self.logicalclock {
            let answer = self.notification(&self.proposal, ServerState::Looking);
            out.push(Outgoing {
                to: from,
                msg: Message::Election(answer),
            });
            return None;
        } else if n.compare_candidate(&self.proposal).is_gt() {
            self.update_proposal(n.leader, n.zxid, n.peer_epoch);
            self.send_notifications(quorum, out);
        }
        self.recvset.insert(from, n);
        let proposal = self.proposal;
        let agreeing = self
            .recvset
            .iter()
            .filter(|(_, v)| v.agrees_with(&proposal))
            .map(|(s, _)| *s);
        if quorum.contains_quorum(agreeing) {
            self.finalizing = true;
        }
        None
        // END SOLUTION
    }

    /// The FOLLOWING / LEADING case of `lookForLeader`: the out of election rule.
    fn receive_out_of_election(&mut self, from: Sid, n: Vote, quorum: &QuorumMaj) -> Option<Vote> {
        // BEGIN SOLUTION step 1: count the vote in this round and among the servers out of the election; follow its leader once a quorum agrees and check_leader holds
        // ko: 이 라운드와 선거 밖 서버들 사이에서 표를 세고, 쿼럼이 같고 check_leader가 참이면 그 리더를 따르세요
        if n.election_epoch == self.logicalclock {
            self.recvset.insert(from, n);
            let agreeing = self
                .recvset
                .iter()
                .filter(|(_, v)| v.agrees_with(&n))
                .map(|(s, _)| *s);
            if quorum.contains_quorum(agreeing)
                && self.check_leader(&self.recvset, n.leader, n.election_epoch)
            {
                return Some(self.leave(n));
            }
        }
        self.outofelection.insert(from, n);
        let agreeing = self
            .outofelection
            .iter()
            .filter(|(_, v)| v.agrees_with(&n))
            .map(|(s, _)| *s);
        if quorum.contains_quorum(agreeing)
            && self.check_leader(&self.outofelection, n.leader, n.election_epoch)
        {
            self.logicalclock = n.election_epoch;
            return Some(self.leave(n));
        }
        None
        // END SOLUTION
    }

    /// `checkLeader`: never follow a leader that has not said itself that it leads. If the
    /// votes name this server, it leads only if they come from its own round.
    fn check_leader(&self, votes: &BTreeMap<Sid, Vote>, leader: Sid, election_epoch: i64) -> bool {
        // BEGIN SOLUTION step 1: another leader must have a LEADING vote among the votes; this server must be in the same round
        // ko: 다른 서버가 리더라면 그 서버의 LEADING 표가 있어야 하고, 이 서버가 리더라면 같은 라운드여야 합니다
        if leader != self.my_id {
            votes
                .get(&leader)
                .is_some_and(|v| v.state == ServerState::Leading)
        } else {
            self.logicalclock == election_epoch
        }
        // END SOLUTION
    }

    /// `leaveInstance`: the final vote (as a LOOKING vote of the round it was decided in).
    fn leave(&mut self, v: Vote) -> Vote {
        self.finalizing = false;
        self.recvset.clear();
        self.outofelection.clear();
        Vote {
            state: ServerState::Looking,
            ..v
        }
    }

    /// One tick while LOOKING: an election a quorum agreed on is over (returns the final vote);
    /// else, with no notification for a while, send the vote again and wait twice as long next
    /// time (ZooKeeper's `notTimeout`, capped at `maxNotificationInterval`).
    pub fn tick(&mut self, quorum: &QuorumMaj, out: &mut Vec<Outgoing>) -> Option<Vote> {
        // BEGIN SOLUTION step 1: finish a finalizing election; else count idle ticks, and at the interval resend the vote and double the interval up to the cap
        // ko: finalizing 중인 선거는 끝내고, 아니면 조용한 틱을 세다가 간격에 이르면 표를 다시 보내고 간격을 상한까지 두 배로 늘리세요
        if self.finalizing {
            let proposal = self.proposal;
            return Some(self.leave(proposal));
        }
        self.idle_ticks += 1;
        if self.idle_ticks >= self.notify_interval {
            self.idle_ticks = 0;
            self.send_notifications(quorum, out);
            self.notify_interval = (self.notify_interval * 2).min(self.max_notification_interval);
        }
        None
        // END SOLUTION
    }
}
