//! The simulation's clients and its report: a producer sending `acks=all` records to the leader
//! the metadata (the state znode) names, consumers reading below that leader's high watermark,
//! and the end state printed for a failing seed.

use lab11_controller::zk_data::NO_LEADER;
use lab12_replication::{AppendResult, ErrorCode, FetchPartition};

use super::broker::Role;
use super::Sim;

impl Sim {
    /// The producer sends one `acks=all` record to the leader the metadata names.
    pub(super) fn produce(&mut self) {
        let leader = self.zk_state.leader;
        if leader == NO_LEADER {
            self.count("produces without a leader", 1);
            return;
        }
        let (tp, now, timeout) = (self.tp.clone(), self.now, self.f.produce_timeout_ms);
        let b = self.brokers.get_mut(&leader).unwrap();
        let incarnation = b.incarnation;
        let Role::Leader(rm) = &mut b.role else {
            self.count("produces before the leader knew", 1);
            return;
        };
        if !b.alive || b.slow_until > now {
            return;
        }
        let epoch = rm.partition(&tp).unwrap().leader_epoch();
        let result = rm.append_records(&tp, 1, -1, timeout, now).unwrap();
        let value = self.next_value;
        let (base, id) = match result {
            AppendResult::Done {
                base_offset: -1, ..
            } => {
                self.count("produces refused: NOT_ENOUGH_REPLICAS", 1);
                self.broker_ready(leader);
                return;
            }
            AppendResult::Done { base_offset, error } => {
                assert_eq!(error, ErrorCode::None);
                (base_offset, None)
            }
            AppendResult::Delayed {
                id, base_offset, ..
            } => (base_offset, Some(id)),
        };
        self.next_value += 1;
        let b = self.brokers.get_mut(&leader).unwrap();
        assert_eq!(base, b.log.len() as i64, "offsets continue the log");
        b.append(epoch, value);
        match id {
            Some(id) => {
                self.waiting.insert((leader, incarnation, id), value);
            }
            None => self.checker.acknowledged(value, base),
        }
        self.count("produced", 1);
        self.broker_ready(leader);
    }

    /// Consumer `c` reads below the high watermark of the leader the metadata names.
    pub(super) fn consume(&mut self, c: usize) {
        let leader = self.zk_state.leader;
        let Some(b) = self.brokers.get_mut(&leader) else {
            return;
        };
        if !b.alive || b.slow_until > self.now {
            return;
        }
        let Role::Leader(rm) = &mut b.role else {
            return;
        };
        let request = FetchPartition {
            replica_id: -1,
            fetch_offset: self.positions[c],
            current_leader_epoch: None,
        };
        let result = rm.fetch(&self.tp, &request, self.now);
        if result.error != ErrorCode::None {
            self.count("consumer fetches refused", 1);
            return;
        }
        let end = result
            .read_up_to
            .min(request.fetch_offset + 1 + c as i64 * 4);
        let read: Vec<(i64, u64)> = (request.fetch_offset..end)
            .map(|o| (o, b.log[o as usize].1))
            .collect();
        for (offset, value) in read {
            self.checker.consumed(c as u32, offset, value);
        }
        self.positions[c] = end;
    }

    /// The state at the end, for a failing seed's message.
    pub fn debug(&self) -> String {
        let mut out = format!(
            "zk {:?} v{} registered {:?};",
            self.zk_state, self.zk_version, self.registered
        );
        for (id, b) in &self.brokers {
            let role = match &b.role {
                Role::None => "none".to_string(),
                Role::Leader(rm) => {
                    let p = rm.partition(&self.tp).unwrap();
                    format!(
                        "leader e{} isr {:?} pending {:?} hw {}",
                        p.leader_epoch(),
                        p.isr(),
                        p.pending_isr(),
                        p.high_watermark()
                    )
                }
                Role::Follower(f) => format!(
                    "follower of {} e{} truncating {} leo {} hw {}",
                    f.state.leader,
                    f.state.leader_epoch,
                    f.truncating,
                    f.core.log_end_offset(),
                    f.core.high_watermark()
                ),
            };
            out.push_str(&format!(
                " [{id}: alive {} log {} {role}]",
                b.alive,
                b.log.len()
            ));
        }
        out
    }
}
