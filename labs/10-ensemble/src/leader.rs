//! The leader's side of ZAB — ZooKeeper's `Leader` (and the parts of `LearnerHandler` that
//! talk to one learner).
//!
//! ```text
//! discovery      FOLLOWERINFO from a quorum (itself included) → newEpoch = max(acceptedEpoch)+1
//!                → LEADERINFO(newEpoch) → ACKEPOCH from a quorum → currentEpoch = newEpoch
//! sync           per learner: DIFF / TRUNC / SNAP (+ pairs), outstanding proposals, NEWLEADER;
//!                a quorum of NEWLEADER ACKs → established: its history is committed, UPTODATE
//! broadcast      propose(txn) → PROPOSAL to every learner → ACK from a quorum → COMMIT, in
//!                zxid order; PING every tick
//! ```
//! It steps down (back to LOOKING) when discovery or sync takes more than `initLimit` ticks, or
//! when, established, it has not heard from a quorum for `syncLimit` ticks.

use std::collections::{BTreeMap, BTreeSet};

use crate::ctx::{Ctx, Flow};
use crate::error::{Error, Result};
use crate::learner_handler::{sync_packets, HandlerPhase, LearnerHandler};
use crate::messages::{
    QuorumPacket, Request, SessionId, SessionTouch, Sid, Txn, OP_SYNC, PROTOCOL_VERSION,
};
use crate::ready::ClientReply;
use crate::zxid::Zxid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaderPhase {
    /// Waiting for a quorum of FOLLOWERINFO to pick the new epoch.
    Discovery,
    /// LEADERINFO sent; waiting for a quorum of ACKEPOCH.
    AwaitingEpochAcks,
    /// Syncing learners; waiting for a quorum of NEWLEADER ACKs.
    AwaitingNewLeaderAcks,
    /// Established: serving and proposing.
    Broadcast,
}

/// Who waits for a `sync`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SyncWaiter {
    /// One of this server's clients.
    Local(SessionId, i32),
    /// A learner: it gets a SYNC packet.
    Learner(Sid),
}

#[derive(Debug)]
pub struct Leader {
    phase: LeaderPhase,
    /// The new epoch (-1 until decided).
    epoch: i64,
    /// The tick by which the current discovery or sync phase must end.
    deadline: u64,
    /// Accepted epochs from FOLLOWERINFO, this server's own included.
    connecting: BTreeMap<Sid, i64>,
    /// Who acknowledged the new epoch (itself included).
    epoch_acks: BTreeSet<Sid>,
    /// Who acknowledged NEWLEADER (itself included).
    newleader_acks: BTreeSet<Sid>,
    learners: BTreeMap<Sid, LearnerHandler>,
    /// The newest zxid proposed (`make(epoch, 0)` before the first proposal).
    last_proposed: Zxid,
    /// The newest zxid committed.
    committed: Zxid,
    /// Syncs waiting for every proposal up to a zxid to commit.
    pending_syncs: Vec<(Zxid, SyncWaiter)>,
    /// Its own (current epoch, last logged zxid) when it started leading
    /// (`leaderStateSummary`).
    summary: (i64, Zxid),
}

impl Leader {
    /// `Leader.lead()`: count itself towards the new epoch and wait for the learners.
    pub fn start(ctx: &mut Ctx) -> Leader {
        let mut leader = Leader {
            phase: LeaderPhase::Discovery,
            epoch: -1,
            deadline: ctx.now + ctx.config.init_limit,
            connecting: BTreeMap::from([(ctx.my_id(), ctx.db.accepted_epoch)]),
            epoch_acks: BTreeSet::new(),
            newleader_acks: BTreeSet::new(),
            learners: BTreeMap::new(),
            last_proposed: ctx.db.last_logged(),
            committed: ctx.db.applied(),
            pending_syncs: Vec::new(),
            summary: (ctx.db.current_epoch, ctx.db.last_logged()),
        };
        // Alone in a one-server ensemble, it is its own quorum.
        if ctx.quorum.contains_quorum([ctx.my_id()]) {
            leader.decide_epoch(ctx);
        }
        leader
    }

    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    pub fn phase(&self) -> LeaderPhase {
        self.phase
    }

    pub fn is_established(&self) -> bool {
        self.phase == LeaderPhase::Broadcast
    }

    pub fn last_proposed(&self) -> Zxid {
        self.last_proposed
    }

    pub fn learner_count(&self) -> usize {
        self.learners.len()
    }

    pub fn synced_count(&self) -> usize {
        self.learners.values().filter(|h| h.is_synced()).count()
    }

    /// A packet from learner `from`.
    pub fn step(&mut self, ctx: &mut Ctx, from: Sid, packet: QuorumPacket) -> Flow {
        if let Some(h) = self.learners.get_mut(&from) {
            h.last_heard = ctx.now;
        }
        match packet {
            QuorumPacket::FollowerInfo { zxid, .. } => {
                self.on_follower_info(ctx, from, zxid.epoch())
            }
            QuorumPacket::AckEpoch {
                zxid,
                current_epoch,
            } => self.on_ack_epoch(ctx, from, zxid, current_epoch),
            QuorumPacket::Ack { zxid } => {
                self.on_ack(ctx, from, zxid);
                Flow::Continue
            }
            QuorumPacket::Ping { touches, .. } => {
                self.on_ping_reply(ctx, &touches);
                Flow::Continue
            }
            QuorumPacket::Request(req) => {
                if self.is_established() && self.learners.contains_key(&from) {
                    self.on_request(ctx, from, req);
                }
                Flow::Continue
            }
            QuorumPacket::Revalidate { session, .. } => {
                let valid = self.is_established() && ctx.tracker.touch(session, ctx.now);
                ctx.send(from, QuorumPacket::RevalidateReply { session, valid });
                Flow::Continue
            }
            // Learners send nothing else; ZooKeeper logs and ignores the rest.
            _ => Flow::Continue,
        }
    }

    /// FOLLOWERINFO: a learner (re)connects. It restarts that learner's protocol.
    ///
    /// A learner that promised an epoch newer than ours (it accepted one from a leader that
    /// failed) can never follow us: ZooKeeper 3.8 lets it fail and retry until the next
    /// election. We step down instead, so that the next epoch is above its promise — a
    /// liveness choice; safety does not depend on it.
    fn on_follower_info(&mut self, ctx: &mut Ctx, from: Sid, accepted_epoch: i64) -> Flow {
        self.learners
            .insert(from, LearnerHandler::new(from, accepted_epoch, ctx.now));
        if self.phase == LeaderPhase::Discovery {
            self.connecting.insert(from, accepted_epoch);
            if ctx.quorum.contains_quorum(self.connecting.keys().copied()) {
                self.decide_epoch(ctx);
            }
        } else if accepted_epoch > self.epoch {
            return Flow::StepDown("a learner accepted a newer epoch");
        } else {
            self.send_leader_info(ctx, from);
        }
        Flow::Continue
    }

    /// `getEpochToPropose` once a quorum is connected: one more than any accepted epoch, made
    /// this server's accepted epoch, and LEADERINFO to everyone connected.
    fn decide_epoch(&mut self, ctx: &mut Ctx) {
        // BEGIN SOLUTION step 2: pick max accepted epoch + 1, accept it (persisted), start the epoch at zxid make(epoch, 0), send LEADERINFO to every connected learner
        // ko: 받아들인 에포크 중 최댓값 + 1을 고르고, 그것을 받아들여 저장하고, zxid make(epoch, 0)에서 에포크를 시작한 뒤 연결된 모든 학습자에게 LEADERINFO를 보내세요
        self.epoch = self.connecting.values().copied().max().unwrap_or(0) + 1;
        ctx.db.set_accepted_epoch(self.epoch, &mut ctx.out.persist);
        self.last_proposed = Zxid::make(self.epoch, 0);
        self.phase = LeaderPhase::AwaitingEpochAcks;
        self.deadline = ctx.now + ctx.config.init_limit;
        self.epoch_acks.insert(ctx.my_id());
        let waiting: Vec<Sid> = self.learners.keys().copied().collect();
        for sid in waiting {
            self.send_leader_info(ctx, sid);
        }
        if ctx.quorum.contains_quorum(self.epoch_acks.iter().copied()) {
            self.epoch_acked(ctx);
        }
        // END SOLUTION
    }

    fn send_leader_info(&mut self, ctx: &mut Ctx, sid: Sid) {
        if let Some(h) = self.learners.get_mut(&sid) {
            h.phase = HandlerPhase::AwaitingAckEpoch;
            ctx.send(
                sid,
                QuorumPacket::LeaderInfo {
                    zxid: Zxid::make(self.epoch, 0),
                    protocol_version: PROTOCOL_VERSION,
                },
            );
        }
    }

    /// ACKEPOCH: the learner accepted the epoch (`current_epoch` -1: it had before) and says
    /// where its log ends. A learner whose history is newer than the leader's means the wrong
    /// server won: step down (`waitForEpochAck`'s "follower is ahead of the leader").
    fn on_ack_epoch(&mut self, ctx: &mut Ctx, from: Sid, last: Zxid, current_epoch: i32) -> Flow {
        // BEGIN SOLUTION step 2: check the learner is not ahead of the leader, count its ack (unless -1), sync it once a quorum acked, and decide the epoch ack quorum
        // ko: 학습자가 리더보다 앞서 있지 않은지 확인하고, -1이 아니면 확인으로 세고, 쿼럼이 확인하면 동기화하세요
        let Some(h) = self.learners.get_mut(&from) else {
            return Flow::Continue;
        };
        if h.phase != HandlerPhase::AwaitingAckEpoch {
            return Flow::Continue;
        }
        h.last_zxid = last;
        h.phase = HandlerPhase::EpochAcked;
        let deciding = self.phase == LeaderPhase::AwaitingEpochAcks;
        if current_epoch != -1 && deciding {
            if (i64::from(current_epoch), last) > self.summary {
                return Flow::StepDown("a follower is ahead of the leader");
            }
            self.epoch_acks.insert(from);
        }
        match self.phase {
            LeaderPhase::AwaitingEpochAcks => {
                if ctx.quorum.contains_quorum(self.epoch_acks.iter().copied()) {
                    self.epoch_acked(ctx);
                }
            }
            LeaderPhase::Discovery => {}
            LeaderPhase::AwaitingNewLeaderAcks | LeaderPhase::Broadcast => self.sync(ctx, from),
        }
        Flow::Continue
        // END SOLUTION
    }

    /// A quorum acknowledged the epoch: it is this server's current epoch now; sync everyone
    /// who acked.
    fn epoch_acked(&mut self, ctx: &mut Ctx) {
        ctx.db.set_current_epoch(self.epoch, &mut ctx.out.persist);
        self.phase = LeaderPhase::AwaitingNewLeaderAcks;
        self.deadline = ctx.now + ctx.config.init_limit;
        self.newleader_acks.insert(ctx.my_id());
        let ready: Vec<Sid> = self
            .learners
            .values()
            .filter(|h| h.phase == HandlerPhase::EpochAcked)
            .map(|h| h.sid)
            .collect();
        for sid in ready {
            self.sync(ctx, sid);
        }
        if ctx
            .quorum
            .contains_quorum(self.newleader_acks.iter().copied())
        {
            self.establish(ctx);
        }
    }

    /// `syncFollower` and `startForwarding`: the sync packets, the outstanding proposals, then
    /// NEWLEADER.
    fn sync(&mut self, ctx: &mut Ctx, sid: Sid) {
        let Some(h) = self.learners.get_mut(&sid) else {
            return;
        };
        // Before it is established, the leader's whole log is the history it will commit.
        let sync_point = if self.phase == LeaderPhase::Broadcast {
            self.committed
        } else {
            ctx.db.last_logged()
        };
        let mut packets = sync_packets(&ctx.db, h.last_zxid, sync_point);
        packets.extend(
            ctx.db
                .range(sync_point, self.last_proposed)
                .map(|t| QuorumPacket::Proposal(t.clone())),
        );
        packets.push(QuorumPacket::NewLeader {
            zxid: Zxid::make(self.epoch, 0),
            config: ctx.config.config_bytes.clone(),
        });
        h.phase = HandlerPhase::Syncing;
        for p in packets {
            ctx.send(sid, p);
        }
    }

    /// A quorum holds the history and the new epoch: commit the history and serve.
    fn establish(&mut self, ctx: &mut Ctx) {
        // BEGIN SOLUTION step 2: enter broadcast, commit the whole logged history, start the session tracker, send UPTODATE to the learners that acked NEWLEADER
        // ko: 브로드캐스트로 들어가 기록된 이력 전체를 커밋하고, 세션 추적기를 시작하고, NEWLEADER를 확인한 학습자에게 UPTODATE를 보내세요
        self.phase = LeaderPhase::Broadcast;
        self.committed = ctx.db.last_logged();
        ctx.commit_to(self.committed);
        let sessions = ctx.db.sessions().clone();
        ctx.tracker
            .start(&sessions, ctx.config.tick_time_ms, ctx.now);
        let waiting: Vec<Sid> = self
            .learners
            .values()
            .filter(|h| h.phase == HandlerPhase::AwaitingStartup)
            .map(|h| h.sid)
            .collect();
        for sid in waiting {
            self.send_up_to_date(ctx, sid);
        }
        // END SOLUTION
    }

    fn send_up_to_date(&mut self, ctx: &mut Ctx, sid: Sid) {
        if let Some(h) = self.learners.get_mut(&sid) {
            h.phase = HandlerPhase::Broadcast;
            ctx.send(sid, QuorumPacket::UpToDate);
        }
    }

    /// ACK: of NEWLEADER (`make(epoch, 0)` from a syncing learner), after UPTODATE (ignored),
    /// or of proposals.
    fn on_ack(&mut self, ctx: &mut Ctx, from: Sid, zxid: Zxid) {
        let Some(h) = self.learners.get_mut(&from) else {
            return;
        };
        if zxid == Zxid::make(self.epoch, 0) {
            if h.phase == HandlerPhase::Syncing {
                self.on_new_leader_ack(ctx, from);
            }
            return;
        }
        if h.is_synced() && zxid.epoch() == self.epoch && zxid > h.acked {
            h.acked = zxid;
            self.try_commit(ctx);
        }
    }

    /// A learner holds the history: once a quorum does, the leader is established.
    fn on_new_leader_ack(&mut self, ctx: &mut Ctx, from: Sid) {
        // BEGIN SOLUTION step 2: mark the learner synced; before establishment count it towards the quorum, after it send UPTODATE at once
        // ko: 학습자를 동기화됨으로 표시하고, 확립 전이면 쿼럼에 세고, 확립 후면 바로 UPTODATE를 보내세요
        if let Some(h) = self.learners.get_mut(&from) {
            h.phase = HandlerPhase::AwaitingStartup;
        }
        match self.phase {
            LeaderPhase::Broadcast => self.send_up_to_date(ctx, from),
            _ => {
                self.newleader_acks.insert(from);
                if self.phase == LeaderPhase::AwaitingNewLeaderAcks
                    && ctx
                        .quorum
                        .contains_quorum(self.newleader_acks.iter().copied())
                {
                    self.establish(ctx);
                }
            }
        }
        // END SOLUTION
    }

    /// `Leader.propose`: log it, send it to every learner that is forwarding.
    pub fn propose(&mut self, ctx: &mut Ctx, txn: Txn) -> Result<()> {
        // BEGIN SOLUTION step 3: require the next zxid, log it, remember it as last proposed, send PROPOSAL to forwarding learners, then try to commit
        // ko: 다음 zxid인지 확인하고, 기록하고, 마지막 제안으로 기억하고, 전달 중인 학습자에게 PROPOSAL을 보낸 뒤 커밋을 시도하세요
        let expected = self.last_proposed.next();
        if txn.zxid() != expected {
            return Err(Error::WrongZxid {
                expected,
                got: txn.zxid(),
            });
        }
        ctx.db.append(txn.clone(), &mut ctx.out.persist);
        self.last_proposed = expected;
        let to: Vec<Sid> = self
            .learners
            .values()
            .filter(|h| h.is_forwarding())
            .map(|h| h.sid)
            .collect();
        for sid in to {
            ctx.send(sid, QuorumPacket::Proposal(txn.clone()));
        }
        self.try_commit(ctx);
        Ok(())
        // END SOLUTION
    }

    /// Commits, strictly in zxid order, every proposal a quorum has ACKed. The leader's own ACK
    /// is implied: its log entry is persisted before any PROPOSAL leaves (the Ready's order).
    fn try_commit(&mut self, ctx: &mut Ctx) {
        // BEGIN SOLUTION step 3: while the next proposal after the committed one has a quorum of acks (the leader and synced learners whose ack reaches it), commit it and send COMMIT
        // ko: 커밋된 것 다음 제안이 쿼럼의 확인(리더와, 확인이 거기에 이른 동기화된 학습자)을 받는 동안 커밋하고 COMMIT을 보내세요
        while self.committed < self.last_proposed {
            let Some(next) = ctx.db.point_after(self.committed) else {
                break;
            };
            let ackers = self
                .learners
                .values()
                .filter(|h| h.is_synced() && h.acked >= next)
                .map(|h| h.sid)
                .chain([ctx.my_id()]);
            if !ctx.quorum.contains_quorum(ackers) {
                break;
            }
            self.committed = next;
            let to: Vec<Sid> = self
                .learners
                .values()
                .filter(|h| h.is_forwarding())
                .map(|h| h.sid)
                .collect();
            for sid in to {
                ctx.send(sid, QuorumPacket::Commit { zxid: next });
            }
            ctx.commit_to(next);
        }
        self.release_syncs(ctx);
        // END SOLUTION
    }

    /// A client of this server wrote (or synced).
    pub fn submit(&mut self, ctx: &mut Ctx, req: Request) {
        ctx.tracker.touch(req.session, ctx.now);
        if req.kind == OP_SYNC {
            self.pending_syncs
                .push((self.last_proposed, SyncWaiter::Local(req.session, req.cxid)));
            self.release_syncs(ctx);
        } else {
            ctx.pending_writes.push_back((req.session, req.cxid));
            ctx.out.to_prep.push(req);
        }
    }

    /// REQUEST from a learner: a write to prepare, or a sync to answer once everything
    /// proposed so far is committed (`processSync`).
    fn on_request(&mut self, ctx: &mut Ctx, from: Sid, req: Request) {
        // BEGIN SOLUTION step 4: a sync waits for the last proposed zxid to commit, then a SYNC packet goes back; any other request goes to the shell to prepare
        // ko: sync는 마지막으로 제안된 zxid가 커밋될 때까지 기다렸다가 SYNC 패킷으로 답하고, 다른 요청은 준비하도록 셸에 넘기세요
        if req.kind == OP_SYNC {
            self.pending_syncs
                .push((self.last_proposed, SyncWaiter::Learner(from)));
            self.release_syncs(ctx);
        } else {
            ctx.out.to_prep.push(req);
        }
        // END SOLUTION
    }

    /// Answers the syncs whose zxid is committed.
    fn release_syncs(&mut self, ctx: &mut Ctx) {
        let committed = self.committed;
        let (done, waiting): (Vec<_>, Vec<_>) = self
            .pending_syncs
            .drain(..)
            .partition(|(z, _)| *z <= committed);
        self.pending_syncs = waiting;
        for (_, w) in done {
            match w {
                SyncWaiter::Local(session, cxid) => ctx.out.replies.push(ClientReply::Synced {
                    session,
                    cxid,
                    zxid: ctx.db.applied(),
                }),
                SyncWaiter::Learner(sid) => ctx.send(sid, QuorumPacket::Sync),
            }
        }
    }

    /// The learner's answer to PING carries the sessions its clients used.
    fn on_ping_reply(&mut self, ctx: &mut Ctx, touches: &[SessionTouch]) {
        // BEGIN SOLUTION step 4: touch every session of the touch table
        // ko: 터치 테이블의 세션을 모두 터치하세요
        for t in touches {
            ctx.tracker.touch(t.session, ctx.now);
        }
        // END SOLUTION
    }

    /// One tick: discovery and sync must end within `initLimit`; established, PING everyone,
    /// drop learners silent for `syncLimit`, step down without a quorum, expire sessions.
    pub fn tick(&mut self, ctx: &mut Ctx) -> Flow {
        // BEGIN SOLUTION step 4: before broadcast step down past the deadline; in broadcast drop silent learners, step down without a synced quorum, ping the rest and hand out expired sessions
        // ko: 브로드캐스트 전에는 기한이 지나면 물러나고, 브로드캐스트 중에는 조용한 학습자를 끊고, 동기화된 쿼럼이 없으면 물러나고, 나머지에 핑을 보내고 만료된 세션을 넘기세요
        let now = ctx.now;
        if self.phase != LeaderPhase::Broadcast {
            if now > self.deadline {
                return Flow::StepDown("no quorum of learners within initLimit");
            }
            return Flow::Continue;
        }
        // A learner still syncing has initLimit (a SNAP may be large), a synced one syncLimit:
        // LearnerHandler's socket timeouts.
        let (init_limit, sync_limit) = (ctx.config.init_limit, ctx.config.sync_limit);
        self.learners.retain(|_, h| {
            let limit = if h.is_synced() {
                sync_limit
            } else {
                init_limit
            };
            now.saturating_sub(h.last_heard) <= limit
        });
        let synced = self
            .learners
            .values()
            .filter(|h| h.is_synced())
            .map(|h| h.sid)
            .chain([ctx.my_id()]);
        if !ctx.quorum.contains_quorum(synced) {
            return Flow::StepDown("not sufficient followers synced within syncLimit");
        }
        let to: Vec<Sid> = self
            .learners
            .values()
            .filter(|h| h.is_forwarding())
            .map(|h| h.sid)
            .collect();
        for sid in to {
            ctx.send(
                sid,
                QuorumPacket::Ping {
                    zxid: self.last_proposed,
                    touches: Vec::new(),
                },
            );
        }
        let expired = ctx.tracker.expire(now);
        ctx.out.expired.extend(expired);
        Flow::Continue
        // END SOLUTION
    }

    /// The connection to a learner broke: forget it (it will send FOLLOWERINFO again).
    pub fn disconnected(&mut self, sid: Sid) {
        self.learners.remove(&sid);
    }

    /// This server's own clients' syncs (failed when it steps down).
    pub fn take_local_syncs(&mut self) -> Vec<(SessionId, i32)> {
        self.pending_syncs
            .drain(..)
            .filter_map(|(_, w)| match w {
                SyncWaiter::Local(s, c) => Some((s, c)),
                SyncWaiter::Learner(_) => None,
            })
            .collect()
    }
}
