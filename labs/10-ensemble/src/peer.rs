//! One server of the ensemble — ZooKeeper's `QuorumPeer`: the election, then a role (leader
//! or follower), then the election again when the role ends.
//!
//! ```text
//!            ┌──────────── LOOKING (FastLeaderElection) ◄───────────┐
//!  elected   │ myself                        another              │ step down: no quorum for
//!            ▼                               ▼                      │ syncLimit, a sync that
//!        LEADING (Leader)               FOLLOWING (Follower)  ──────┘ took initLimit, a broken
//!        discovery → sync → broadcast   discovery → sync → broadcast   connection, a bad packet
//! ```
//! A plain struct in the style of raft-rs's `RawNode`: the shell feeds it messages
//! ([`QuorumPeer::step`]), ticks ([`QuorumPeer::tick`], one per `tickTime`) and client
//! requests ([`QuorumPeer::submit`]); it takes a [`Ready`] after each and handles it in the
//! order [`crate::ready`] gives. No sockets, clocks, threads or randomness inside.
//!
//! # Driving it from a shell (step 5)
//!
//! ```text
//! start       DiskState from the data dir: the files acceptedEpoch and currentEpoch, the
//!             newest snapshot, the log after it. Restore the tree from the snapshot ONLY: the
//!             logged transactions after it may be an uncommitted tail; the core hands back
//!             the ones that are committed (Apply) once the leader confirms them.
//! every tick  tick() every tickTime ms.
//! receive     step(sid, Message::Election(..)) from the election port (3888): the sid is in
//!             the connection's initial message; step(sid, Message::Quorum(..)) from the
//!             quorum connection (2888) of that server: a leader learns a learner's sid from
//!             the LearnerInfo of its FOLLOWERINFO.
//! send        Message::Election → the election connection to `to`; Message::Quorum → a
//!             learner's one connection to its leader (open it when the first packet,
//!             FOLLOWERINFO, goes out), or, on the leader, the connection that learner opened.
//!             Each FOLLOWERINFO goes on a NEW connection (close the older one): it is a
//!             connection attempt, retried every tick until LEADERINFO comes.
//! closed      disconnected(sid) when that server's current quorum connection closes or
//!             fails (not an older one it replaced).
//! clients     reads: answer from the tree when is_serving(); writes and sync: submit(), and
//!             answer on ClientReply; touch() on every request and client ping. The leader's
//!             to_prep / expired go through the prep stage, then propose() with next_zxid().
//! snapshots   after writing one at the applied zxid: snapshot_taken().
//! ```

use std::collections::VecDeque;

use crate::config::QuorumConfig;
use crate::ctx::{Ctx, Flow};
use crate::error::{Error, Result};
use crate::fast_leader_election::FastLeaderElection;
use crate::follower::Follower;
use crate::leader::Leader;
use crate::messages::{Message, Request, ServerState, SessionId, Sid, Snapshot, Txn};
use crate::ready::{ClientReply, Outgoing, Ready};
use crate::session_tracker::SessionTracker;
use crate::vote::Vote;
use crate::zk_database::{DiskState, ZkDatabase};
use crate::zxid::Zxid;

#[derive(Debug)]
enum Role {
    Looking,
    Leading(Box<Leader>),
    Following(Box<Follower>),
}

#[derive(Debug)]
pub struct QuorumPeer {
    ctx: Ctx,
    election: FastLeaderElection,
    role: Role,
    /// The vote this server left its last election with (answered to LOOKING servers).
    current_vote: Vote,
    last_step_down: Option<&'static str>,
}

impl QuorumPeer {
    /// Starts a server from what its data dir held (`DiskState::default()` for a new one). It
    /// starts LOOKING: the first Ready holds its first notifications.
    pub fn new(config: QuorumConfig, disk: DiskState) -> Result<QuorumPeer> {
        config.validate()?;
        let election = FastLeaderElection::new(
            config.my_id,
            config.max_notification_interval,
            config.config_bytes.clone(),
        );
        let current_vote = election.proposal();
        let mut peer = QuorumPeer {
            ctx: Ctx {
                quorum: config.quorum(),
                config,
                db: ZkDatabase::restore(disk),
                out: Ready::default(),
                now: 0,
                pending_writes: VecDeque::new(),
                tracker: SessionTracker::default(),
            },
            election,
            role: Role::Looking,
            current_vote,
            last_step_down: None,
        };
        peer.look();
        Ok(peer)
    }

    /// Everything the shell must do now (see [`crate::ready`] for the order).
    pub fn ready(&mut self) -> Ready {
        std::mem::take(&mut self.ctx.out)
    }

    pub fn has_ready(&self) -> bool {
        !self.ctx.out.is_empty()
    }

    /// One `tickTime` has passed.
    pub fn tick(&mut self) {
        self.ctx.now += 1;
        let flow = match &mut self.role {
            Role::Looking => {
                let out = &mut self.ctx.out.messages;
                if let Some(vote) = self.election.tick(&self.ctx.quorum, out) {
                    self.elected(vote);
                }
                Flow::Continue
            }
            Role::Leading(l) => l.tick(&mut self.ctx),
            Role::Following(f) => f.tick(&mut self.ctx),
        };
        self.after(flow);
    }

    /// A message from server `from`.
    pub fn step(&mut self, from: Sid, msg: Message) {
        if from == self.ctx.my_id() || !self.ctx.quorum.is_voter(from) {
            return;
        }
        match msg {
            Message::Election(n) => {
                if let Role::Looking = self.role {
                    let out = &mut self.ctx.out.messages;
                    if let Some(vote) = self.election.receive(from, &n, &self.ctx.quorum, out) {
                        self.elected(vote);
                    }
                } else if n.state == ServerState::Looking {
                    // WorkerReceiver: tell a LOOKING server whom we follow, and in which state.
                    let answer = self.election.notification(&self.current_vote, self.state());
                    self.ctx.out.messages.push(Outgoing {
                        to: from,
                        msg: Message::Election(answer),
                    });
                }
            }
            Message::Quorum(packet) => {
                let flow = match &mut self.role {
                    Role::Looking => Flow::Continue,
                    Role::Leading(l) => l.step(&mut self.ctx, from, packet),
                    Role::Following(f) if f.leader() == from => f.step(&mut self.ctx, packet),
                    Role::Following(_) => Flow::Continue,
                };
                self.after(flow);
            }
        }
    }

    /// The connection to `peer` broke (the shell saw its socket close).
    pub fn disconnected(&mut self, peer: Sid) {
        let flow = match &mut self.role {
            Role::Leading(l) => {
                l.disconnected(peer);
                Flow::Continue
            }
            Role::Following(f) if f.leader() == peer => Flow::StepDown("lost the leader"),
            _ => Flow::Continue,
        };
        self.after(flow);
    }

    /// A client request taken by this server: a write (or `sync`) goes to the leader, and the
    /// client's answer comes as a [`ClientReply`]. Reads never come here: a serving server
    /// answers them from its own tree.
    pub fn submit(&mut self, req: Request) -> Result<()> {
        let state = self.state();
        match &mut self.role {
            Role::Leading(l) if l.is_established() => {
                l.submit(&mut self.ctx, req);
                Ok(())
            }
            Role::Following(f) if f.is_serving() => {
                f.submit(&mut self.ctx, req);
                Ok(())
            }
            _ => Err(Error::NotServing { state }),
        }
    }

    /// The zxid the next proposal must carry (the established leader only).
    pub fn next_zxid(&self) -> Option<Zxid> {
        match &self.role {
            Role::Leading(l) if l.is_established() => Some(l.last_proposed().next()),
            _ => None,
        }
    }

    /// The leader's shell prepared a transaction (from `to_prep` or `expired`) with
    /// [`QuorumPeer::next_zxid`] in its header: log it and propose it.
    pub fn propose(&mut self, txn: Txn) -> Result<()> {
        let state = self.state();
        match &mut self.role {
            Role::Leading(l) if l.is_established() => l.propose(&mut self.ctx, txn),
            _ => Err(Error::NotLeader { state }),
        }
    }

    /// A client of this server sent something (a request or a ping): its session is alive.
    /// False when this server does not know the session.
    pub fn touch(&mut self, session: SessionId) -> bool {
        match &mut self.role {
            Role::Leading(_) => self.ctx.tracker.touch(session, self.ctx.now),
            Role::Following(f) => f.touch(&self.ctx, session),
            Role::Looking => false,
        }
    }

    /// The shell wrote a snapshot of its state at `snap.zxid` (≤ the applied zxid): the log
    /// before it may go, and a SNAP sync sends this image.
    pub fn snapshot_taken(&mut self, snap: Snapshot) {
        self.ctx.db.snapshot_taken(snap);
    }

    pub fn my_id(&self) -> Sid {
        self.ctx.my_id()
    }

    pub fn state(&self) -> ServerState {
        match self.role {
            Role::Looking => ServerState::Looking,
            Role::Leading(_) => ServerState::Leading,
            Role::Following(_) => ServerState::Following,
        }
    }

    /// The leader this server follows or is.
    pub fn leader(&self) -> Option<Sid> {
        match &self.role {
            Role::Looking => None,
            Role::Leading(_) => Some(self.my_id()),
            Role::Following(f) => Some(f.leader()),
        }
    }

    /// Does this server answer clients (an established leader, or a synced follower)?
    pub fn is_serving(&self) -> bool {
        match &self.role {
            Role::Looking => false,
            Role::Leading(l) => l.is_established(),
            Role::Following(f) => f.is_serving(),
        }
    }

    /// The epoch this server leads, once a quorum has synced with it.
    pub fn established_epoch(&self) -> Option<i64> {
        match &self.role {
            Role::Leading(l) if l.is_established() => Some(l.epoch()),
            _ => None,
        }
    }

    /// `mntr`'s `zk_followers` and `zk_synced_followers` (leader only).
    pub fn followers(&self) -> Option<(usize, usize)> {
        match &self.role {
            Role::Leading(l) => Some((l.learner_count(), l.synced_count())),
            _ => None,
        }
    }

    pub fn current_vote(&self) -> Vote {
        self.current_vote
    }

    pub fn logicalclock(&self) -> i64 {
        self.election.logicalclock
    }

    pub fn accepted_epoch(&self) -> i64 {
        self.ctx.db.accepted_epoch
    }

    pub fn current_epoch(&self) -> i64 {
        self.ctx.db.current_epoch
    }

    pub fn last_logged_zxid(&self) -> Zxid {
        self.ctx.db.last_logged()
    }

    pub fn applied_zxid(&self) -> Zxid {
        self.ctx.db.applied()
    }

    /// The sessions of the applied state, with their timeouts (ms).
    pub fn sessions(&self) -> &std::collections::BTreeMap<SessionId, i32> {
        self.ctx.db.sessions()
    }

    pub fn ticks(&self) -> u64 {
        self.ctx.now
    }

    /// Why this server last went back to LOOKING.
    pub fn last_step_down(&self) -> Option<&'static str> {
        self.last_step_down
    }

    fn after(&mut self, flow: Flow) {
        if let Flow::StepDown(reason) = flow {
            self.last_step_down = Some(reason);
            self.fail_pending();
            self.look();
            return;
        }
        self.update_election_vote();
    }

    /// `QuorumPeer.updateElectionVote` (ZOOKEEPER-1732): once synced, the vote this server
    /// answers LOOKING servers with carries the epoch it actually follows or leads. Servers
    /// that joined the leader at different times (and elections) then all answer with the
    /// same leader and epoch, so a server that restarts finds a quorum that agrees.
    fn update_election_vote(&mut self) {
        let epoch = match &self.role {
            Role::Leading(l) if l.is_established() => l.epoch(),
            Role::Following(f) if f.is_serving() => f.epoch(),
            _ => return,
        };
        self.current_vote.peer_epoch = epoch;
    }

    /// A role ended: its clients' requests will never be answered here.
    fn fail_pending(&mut self) {
        let mut lost: Vec<(SessionId, i32)> = self.ctx.pending_writes.drain(..).collect();
        match std::mem::replace(&mut self.role, Role::Looking) {
            Role::Leading(mut l) => lost.extend(l.take_local_syncs()),
            Role::Following(mut f) => lost.extend(f.take_pending_syncs()),
            Role::Looking => {}
        }
        for (session, cxid) in lost {
            self.ctx
                .out
                .replies
                .push(ClientReply::Lost { session, cxid });
        }
        self.ctx.tracker.stop();
    }

    fn look(&mut self) {
        self.role = Role::Looking;
        let (zxid, epoch) = (self.ctx.db.last_logged(), self.ctx.db.current_epoch);
        self.election
            .start(zxid, epoch, &self.ctx.quorum, &mut self.ctx.out.messages);
    }

    fn elected(&mut self, vote: Vote) {
        self.current_vote = vote;
        if vote.leader == self.my_id() {
            let leader = Leader::start(&mut self.ctx);
            self.role = Role::Leading(Box::new(leader));
        } else {
            let follower = Follower::start(&mut self.ctx, vote.leader);
            self.role = Role::Following(Box::new(follower));
        }
    }
}
