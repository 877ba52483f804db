//! The follower's side of ZAB — ZooKeeper's `Learner` and `Follower`.
//!
//! ```text
//! discovery   FOLLOWERINFO(acceptedEpoch) → LEADERINFO(newEpoch): accept it (persisted)
//!             → ACKEPOCH(currentEpoch, last logged zxid)
//! sync        DIFF | TRUNC | SNAP, PROPOSAL+COMMIT pairs, outstanding PROPOSALs → log them
//!             NEWLEADER → currentEpoch = newEpoch (persisted) → ACK → UPTODATE: apply the
//!             synced history, serve, ACK UPTODATE, then ACK the proposals of the sync
//! broadcast   PROPOSAL → log → ACK;  COMMIT → apply in zxid order;  PING → PING + touches
//! ```
//! Nothing is applied before UPTODATE: until a quorum holds the new leader's history, that
//! history is not committed. A follower goes back to LOOKING when sync does not finish within
//! `initLimit` ticks, when it hears nothing from the leader for `syncLimit` ticks, and on any
//! packet that does not fit (a gap in the proposals, a COMMIT for something it never logged).

use std::collections::{BTreeMap, VecDeque};

use crate::ctx::{Ctx, Flow};
use crate::messages::{
    LearnerInfo, QuorumPacket, Request, SessionId, SessionTouch, Sid, Txn, OP_SYNC,
    PROTOCOL_VERSION,
};
use crate::ready::ClientReply;
use crate::zxid::Zxid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FollowerPhase {
    /// FOLLOWERINFO sent (again every tick, as ZooKeeper retries the connection); waiting for
    /// LEADERINFO.
    Connecting,
    /// ACKEPOCH sent; `decided` once DIFF, TRUNC or SNAP came.
    Syncing { decided: bool },
    /// NEWLEADER ACKed; waiting for UPTODATE.
    AwaitingUpToDate,
    /// Serving.
    Broadcast,
}

/// What became of a proposal handed to [`Follower::log`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Logged {
    Appended,
    /// Already in the log (a packet seen twice).
    Duplicate,
    /// Not the next zxid: packets were lost, the log would have a hole.
    Gap,
}

#[derive(Debug)]
pub struct Follower {
    leader: Sid,
    phase: FollowerPhase,
    new_epoch: i64,
    /// How far this server's log is the leader's committed history, as learned during sync.
    sync_commit: Zxid,
    /// Until UPTODATE, the tick by which sync must be done.
    deadline: u64,
    last_heard: u64,
    /// This server's clients' syncs, oldest first (SYNC packets answer them in order).
    pending_syncs: VecDeque<(SessionId, i32)>,
    /// Sessions its clients used since the last PING (`LearnerSessionTracker`'s touch table).
    touches: BTreeMap<SessionId, i32>,
    /// Proposals logged during sync, ACKed after UPTODATE (`requestsToAck`).
    to_ack: Vec<Zxid>,
}

impl Follower {
    /// `Learner.connectToLeader` + `registerWithLeader`: FOLLOWERINFO.
    ///
    /// Each FOLLOWERINFO is a connection attempt: the shell sends it on a new quorum connection
    /// (closing an older one), and the leader starts this learner's protocol over. While no
    /// LEADERINFO comes, [`Follower::tick`] tries again every tick, as ZooKeeper retries its
    /// connection to a leader that is not listening yet.
    pub fn start(ctx: &mut Ctx, leader: Sid) -> Follower {
        let f = Follower {
            leader,
            phase: FollowerPhase::Connecting,
            new_epoch: -1,
            sync_commit: Zxid(0),
            deadline: ctx.now + ctx.config.init_limit,
            last_heard: ctx.now,
            pending_syncs: VecDeque::new(),
            touches: BTreeMap::new(),
            to_ack: Vec::new(),
        };
        f.send_follower_info(ctx);
        f
    }

    fn send_follower_info(&self, ctx: &mut Ctx) {
        let info = LearnerInfo {
            serverid: ctx.my_id(),
            protocol_version: PROTOCOL_VERSION,
            config_version: 0,
        };
        ctx.send(
            self.leader,
            QuorumPacket::FollowerInfo {
                zxid: Zxid::make(ctx.db.accepted_epoch, 0),
                info,
            },
        );
    }

    pub fn leader(&self) -> Sid {
        self.leader
    }

    /// The leader's epoch (known once LEADERINFO came; -1 before).
    pub fn epoch(&self) -> i64 {
        self.new_epoch
    }

    pub fn phase(&self) -> FollowerPhase {
        self.phase
    }

    pub fn is_serving(&self) -> bool {
        self.phase == FollowerPhase::Broadcast
    }

    /// A packet from the leader.
    pub fn step(&mut self, ctx: &mut Ctx, packet: QuorumPacket) -> Flow {
        self.last_heard = ctx.now;
        match (self.phase, packet) {
            (FollowerPhase::Connecting, QuorumPacket::LeaderInfo { zxid, .. }) => {
                self.on_leader_info(ctx, zxid)
            }
            (FollowerPhase::Connecting, _) => Flow::Continue,
            (FollowerPhase::Syncing { .. }, QuorumPacket::LeaderInfo { .. }) => Flow::Continue,
            (FollowerPhase::Syncing { decided }, p) => self.on_sync_packet(ctx, decided, p),
            (_, QuorumPacket::Proposal(txn)) => self.on_proposal(ctx, txn),
            (_, QuorumPacket::Commit { zxid }) => self.on_commit(ctx, zxid),
            (FollowerPhase::AwaitingUpToDate, QuorumPacket::UpToDate) => {
                self.on_up_to_date(ctx);
                Flow::Continue
            }
            (FollowerPhase::Broadcast, QuorumPacket::Ping { zxid, .. }) => {
                self.on_ping(ctx, zxid);
                Flow::Continue
            }
            (FollowerPhase::Broadcast, QuorumPacket::Sync) => {
                self.on_sync(ctx);
                Flow::Continue
            }
            _ => Flow::Continue,
        }
    }

    /// LEADERINFO: accept the new epoch unless an equal one was already accepted (then say -1);
    /// refuse an older one.
    fn on_leader_info(&mut self, ctx: &mut Ctx, zxid: Zxid) -> Flow {
        // BEGIN SOLUTION step 2: accept a newer epoch (persisted) and answer ACKEPOCH with the current epoch, answer -1 for the same epoch, go LOOKING for an older one
        // ko: 더 새로운 에포크는 받아들여 저장하고 현재 에포크로 ACKEPOCH를 답하고, 같은 에포크면 -1로 답하고, 더 오래된 에포크면 LOOKING으로 돌아가세요
        let new_epoch = zxid.epoch();
        let current_epoch = if new_epoch > ctx.db.accepted_epoch {
            ctx.db.set_accepted_epoch(new_epoch, &mut ctx.out.persist);
            ctx.db.current_epoch as i32
        } else if new_epoch == ctx.db.accepted_epoch {
            -1
        } else {
            return Flow::StepDown("the leader's epoch is older than the accepted epoch");
        };
        self.new_epoch = new_epoch;
        self.phase = FollowerPhase::Syncing { decided: false };
        ctx.send(
            self.leader,
            QuorumPacket::AckEpoch {
                zxid: ctx.db.last_logged(),
                current_epoch,
            },
        );
        Flow::Continue
        // END SOLUTION
    }

    /// During sync: one of DIFF, TRUNC or SNAP first, then proposals and commits, then NEWLEADER.
    fn on_sync_packet(&mut self, ctx: &mut Ctx, decided: bool, packet: QuorumPacket) -> Flow {
        // BEGIN SOLUTION step 2: take exactly one DIFF, TRUNC or SNAP (truncating or installing as told), log the proposals that follow (to ACK after UPTODATE), note commits, and on NEWLEADER persist the epoch then ACK it
        // ko: DIFF, TRUNC, SNAP 중 정확히 하나를 받아(지시대로 잘라 내거나 설치하고), 뒤따르는 제안을 기록하고(UPTODATE 뒤에 확인), 커밋을 적어 두고, NEWLEADER에서는 에포크를 저장한 뒤 확인하세요
        match packet {
            QuorumPacket::Diff { zxid } if !decided => {
                if zxid < ctx.db.last_logged() {
                    return Flow::StepDown("DIFF to a point before the end of this log");
                }
                self.sync_commit = zxid;
            }
            QuorumPacket::Trunc { zxid } if !decided => {
                if zxid < ctx.db.applied() || !ctx.db.has_point(zxid) {
                    return Flow::StepDown("TRUNC to a point this log does not have");
                }
                ctx.db.truncate(zxid, &mut ctx.out.persist);
                self.sync_commit = zxid;
            }
            QuorumPacket::Snap { snapshot, .. } if !decided => {
                self.sync_commit = snapshot.zxid;
                let (persist, apply) = (&mut ctx.out.persist, &mut ctx.out.apply);
                ctx.db.install(snapshot, persist, apply);
            }
            QuorumPacket::Proposal(txn) if decided => {
                let zxid = txn.zxid();
                // After DIFF the pairs reach its zxid before anything newer comes (TCP keeps
                // order; this only catches a broken shell).
                if zxid > self.sync_commit && ctx.db.last_logged() < self.sync_commit {
                    return Flow::StepDown("proposals of the sync are missing");
                }
                match self.log(ctx, txn) {
                    Logged::Gap => {
                        return Flow::StepDown("a gap in the proposals: packets were lost")
                    }
                    Logged::Appended => self.to_ack.push(zxid),
                    Logged::Duplicate => {}
                }
                return Flow::Continue;
            }
            QuorumPacket::Ping { .. } => return Flow::Continue,
            QuorumPacket::Commit { zxid } if decided => {
                if !ctx.db.has_point(zxid) {
                    return Flow::StepDown("COMMIT of a proposal this server never logged");
                }
                self.sync_commit = self.sync_commit.max(zxid);
                return Flow::Continue;
            }
            QuorumPacket::NewLeader { zxid, .. } if decided => {
                if zxid.epoch() != self.new_epoch {
                    return Flow::StepDown("NEWLEADER of another epoch");
                }
                if ctx.db.last_logged() < self.sync_commit {
                    return Flow::StepDown("proposals of the sync are missing");
                }
                ctx.db
                    .set_current_epoch(self.new_epoch, &mut ctx.out.persist);
                ctx.send(self.leader, QuorumPacket::Ack { zxid });
                self.phase = FollowerPhase::AwaitingUpToDate;
                return Flow::Continue;
            }
            _ => return Flow::StepDown("a packet out of order during sync"),
        }
        self.phase = FollowerPhase::Syncing { decided: true };
        Flow::Continue
        // END SOLUTION
    }

    /// UPTODATE: the leader is established; what sync brought is committed. As in 3.8's
    /// `syncWithLeader`, the ACK of UPTODATE comes first, then the ACKs of the proposals that
    /// came during sync (so the leader does not wait on them while it waits for a quorum).
    fn on_up_to_date(&mut self, ctx: &mut Ctx) {
        // BEGIN SOLUTION step 2: apply the log up to the synced commit point, serve, ACK make(newEpoch, 0), then ACK every proposal logged during sync
        // ko: 동기화된 커밋 지점까지 로그를 적용하고, 서비스를 시작하고, make(newEpoch, 0)으로 확인한 뒤 동기화 중에 기록한 제안을 모두 확인하세요
        ctx.commit_to(self.sync_commit);
        self.phase = FollowerPhase::Broadcast;
        ctx.send(
            self.leader,
            QuorumPacket::Ack {
                zxid: Zxid::make(self.new_epoch, 0),
            },
        );
        for zxid in std::mem::take(&mut self.to_ack) {
            ctx.send(self.leader, QuorumPacket::Ack { zxid });
        }
        // END SOLUTION
    }

    /// PROPOSAL after NEWLEADER: log it and ACK it.
    fn on_proposal(&mut self, ctx: &mut Ctx, txn: Txn) -> Flow {
        // BEGIN SOLUTION step 3: log the proposal and ACK it once appended (before UPTODATE, keep it for the ACKs after UPTODATE); a gap sends the follower back to LOOKING
        // ko: 제안을 기록하고 덧붙였으면 확인하세요(UPTODATE 전이면 UPTODATE 뒤의 확인을 위해 보관). 빈틈이 있으면 LOOKING으로 돌아갑니다
        let zxid = txn.zxid();
        match self.log(ctx, txn) {
            Logged::Appended if self.phase == FollowerPhase::AwaitingUpToDate => {
                self.to_ack.push(zxid);
                Flow::Continue
            }
            Logged::Appended => {
                ctx.send(self.leader, QuorumPacket::Ack { zxid });
                Flow::Continue
            }
            Logged::Duplicate => Flow::Continue,
            Logged::Gap => Flow::StepDown("a gap in the proposals: packets were lost"),
        }
        // END SOLUTION
    }

    /// Logs the next proposal of the leader's history.
    fn log(&mut self, ctx: &mut Ctx, txn: Txn) -> Logged {
        // BEGIN SOLUTION step 2: a zxid already logged is a duplicate; the next one is the same epoch and counter + 1, or a newer epoch at counter 1; anything else is a gap; append the next one
        // ko: 이미 기록된 zxid는 중복입니다. 다음 것은 같은 에포크에 카운터 + 1이거나 더 새 에포크의 카운터 1이고, 그 밖은 빈틈입니다. 다음 것을 덧붙이세요
        let last = ctx.db.last_logged();
        let z = txn.zxid();
        if z <= last {
            return Logged::Duplicate;
        }
        let next = if z.epoch() == last.epoch() {
            z.counter() == last.counter() + 1
        } else {
            z.counter() == 1
        };
        if !next {
            return Logged::Gap;
        }
        ctx.db.append(txn, &mut ctx.out.persist);
        Logged::Appended
        // END SOLUTION
    }

    /// COMMIT: apply up to it, in zxid order (before UPTODATE, only note it).
    fn on_commit(&mut self, ctx: &mut Ctx, zxid: Zxid) -> Flow {
        // BEGIN SOLUTION step 3: ignore what is applied, refuse a zxid never logged, before broadcast only note it, else apply the log up to it
        // ko: 이미 적용된 것은 무시하고, 기록한 적 없는 zxid는 거부하고, 브로드캐스트 전에는 적어 두기만 하고, 아니면 거기까지 로그를 적용하세요
        if zxid <= ctx.db.applied() {
            return Flow::Continue;
        }
        if !ctx.db.has_point(zxid) {
            return Flow::StepDown("COMMIT of a proposal this server never logged");
        }
        if self.phase == FollowerPhase::Broadcast {
            ctx.commit_to(zxid);
        } else {
            self.sync_commit = self.sync_commit.max(zxid);
        }
        Flow::Continue
        // END SOLUTION
    }

    /// A client of this server wrote or synced: forward it to the leader.
    pub fn submit(&mut self, ctx: &mut Ctx, req: Request) {
        // BEGIN SOLUTION step 4: touch the session, remember the request (a sync in pending_syncs, a write in ctx.pending_writes) and forward it as REQUEST
        // ko: 세션을 터치하고, 요청을 기억한 뒤(sync는 pending_syncs에, 쓰기는 ctx.pending_writes에) REQUEST로 전달하세요
        self.touch(ctx, req.session);
        if req.kind == OP_SYNC {
            self.pending_syncs.push_back((req.session, req.cxid));
        } else {
            ctx.pending_writes.push_back((req.session, req.cxid));
        }
        ctx.send(self.leader, QuorumPacket::Request(req));
        // END SOLUTION
    }

    /// The leader's SYNC: the oldest pending sync is done.
    fn on_sync(&mut self, ctx: &mut Ctx) {
        // BEGIN SOLUTION step 4: answer the oldest pending sync with the applied zxid
        // ko: 가장 오래된 대기 중인 sync에 적용된 zxid로 답하세요
        if let Some((session, cxid)) = self.pending_syncs.pop_front() {
            ctx.out.replies.push(ClientReply::Synced {
                session,
                cxid,
                zxid: ctx.db.applied(),
            });
        }
        // END SOLUTION
    }

    /// `LearnerSessionTracker.touchSession`: remember the session for the next PING reply.
    pub fn touch(&mut self, ctx: &Ctx, session: SessionId) -> bool {
        // BEGIN SOLUTION step 4: a session this server knows goes into the touch table with its timeout
        // ko: 이 서버가 아는 세션을 타임아웃과 함께 터치 테이블에 넣으세요
        match ctx.db.sessions().get(&session) {
            Some(timeout_ms) => {
                self.touches.insert(session, *timeout_ms);
                true
            }
            None => false,
        }
        // END SOLUTION
    }

    /// PING: answer with the same zxid and the touch table, emptied.
    fn on_ping(&mut self, ctx: &mut Ctx, zxid: Zxid) {
        // BEGIN SOLUTION step 4: reply PING with the same zxid and the drained touch table
        // ko: 같은 zxid와 비운 터치 테이블로 PING에 답하세요
        let touches = std::mem::take(&mut self.touches)
            .into_iter()
            .map(|(session, timeout_ms)| SessionTouch {
                session,
                timeout_ms,
            })
            .collect();
        ctx.send(self.leader, QuorumPacket::Ping { zxid, touches });
        // END SOLUTION
    }

    /// One tick: retry FOLLOWERINFO while connecting; sync must end within `initLimit`; serving,
    /// the leader must be heard within `syncLimit`.
    pub fn tick(&mut self, ctx: &mut Ctx) -> Flow {
        // BEGIN SOLUTION step 4: resend FOLLOWERINFO while connecting, step down past the sync deadline, and in broadcast step down after syncLimit ticks of silence
        // ko: 연결 중에는 FOLLOWERINFO를 다시 보내고, 동기화 기한이 지나면 물러나고, 브로드캐스트 중에는 syncLimit 틱 동안 조용하면 물러나세요
        if self.phase == FollowerPhase::Broadcast {
            if ctx.now.saturating_sub(self.last_heard) > ctx.config.sync_limit {
                return Flow::StepDown("no word from the leader within syncLimit");
            }
            return Flow::Continue;
        }
        if ctx.now > self.deadline {
            return Flow::StepDown("sync did not finish within initLimit");
        }
        if self.phase == FollowerPhase::Connecting {
            self.send_follower_info(ctx);
        }
        Flow::Continue
        // END SOLUTION
    }

    /// This server's clients' syncs (failed when it stops following).
    pub fn take_pending_syncs(&mut self) -> Vec<(SessionId, i32)> {
        self.pending_syncs.drain(..).collect()
    }
}
