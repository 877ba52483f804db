//! The controller when brokers die and return (`onBrokerFailure`, `onBrokerStartup`): the
//! children of `/brokers/ids` changed.
//!
//! A broker that vanished and reappeared with a new epoch between two looks (a *bounced*
//! broker: its session expired and it registered again) is handled as a death then a start,
//! as Kafka does since KIP-380: its new life knows nothing of what its old one was told.

use std::collections::{BTreeMap, BTreeSet};

use crate::controller::Controller;
use crate::events::RegisteredBroker;
use crate::partition_leader_election::next_leader_and_isr;
use crate::requests::TopicPartition;
use crate::zk_data::{LeaderIsrAndControllerEpoch, NO_LEADER};

impl Controller {
    /// Compares the live brokers with what we knew: the dead (and bounced) first, then the
    /// new (and bounced).
    pub(crate) fn on_brokers_changed(&mut self, brokers: BTreeMap<i32, RegisteredBroker>) {
        // BEGIN SOLUTION step 4: find dead, new and bounced brokers; handle failure with the bounced ones removed, then startup with everyone
        // ko: 죽은 브로커, 새 브로커, 재등록한 브로커를 찾으세요. 재등록한 브로커를 뺀 채 장애를 처리하고, 모두 넣은 뒤 시작을 처리하세요
        let bounced: BTreeSet<i32> = brokers
            .iter()
            .filter(|(id, b)| {
                self.live_brokers
                    .get(id)
                    .is_some_and(|old| old.epoch != b.epoch)
            })
            .map(|(id, _)| *id)
            .collect();
        let dead: BTreeSet<i32> = self
            .live_brokers
            .keys()
            .filter(|id| !brokers.contains_key(id))
            .copied()
            .chain(bounced.iter().copied())
            .collect();
        let new: BTreeSet<i32> = brokers
            .keys()
            .filter(|id| !self.live_brokers.contains_key(id))
            .copied()
            .chain(bounced.iter().copied())
            .collect();
        if !dead.is_empty() {
            self.live_brokers = brokers
                .iter()
                .filter(|(id, _)| !bounced.contains(id))
                .map(|(id, b)| (*id, b.clone()))
                .collect();
            self.on_broker_failure(&dead);
        }
        self.live_brokers = brokers;
        if !new.is_empty() {
            self.on_broker_startup(&new);
        }
        // END SOLUTION
    }

    /// Brokers died: every partition with one of them as replica gets its next leader and ISR
    /// (`next_leader_and_isr`); then LeaderAndIsr to the changed partitions' live replicas and
    /// UpdateMetadata (with the new live broker list) to every live broker.
    pub(crate) fn on_broker_failure(&mut self, dead: &BTreeSet<i32>) {
        // BEGIN SOLUTION step 4: elect for the partitions that name a dead broker, then tell replicas and every live broker
        // ko: 죽은 브로커가 들어 있는 파티션을 선출한 뒤 레플리카와 살아 있는 모든 브로커에게 알리세요
        let affected: Vec<TopicPartition> = self
            .online_partitions()
            .into_iter()
            .filter(|tp| {
                let state = &self.partition_states[tp].state;
                dead.contains(&state.leader)
                    || state.isr.iter().any(|b| dead.contains(b))
                    || self.assignments[tp].iter().any(|b| dead.contains(b))
            })
            .collect();
        let changed = self.elect_leaders(&affected);
        let live = self.live_broker_ids();
        self.send_leader_and_isr(&live, &changed, false);
        self.send_update_metadata(&live, &changed);
        // END SOLUTION
    }

    /// Brokers started: the others learn the new broker list; the new ones get every
    /// partition's metadata and LeaderAndIsr for their replicas; partitions waiting for a live
    /// replica get their first state, leaderless ones an election; deletions waiting for these
    /// brokers go on.
    pub(crate) fn on_broker_startup(&mut self, new: &BTreeSet<i32>) {
        // BEGIN SOLUTION step 4: broker list to the others, full metadata and LeaderAndIsr to the new ones, then init new and elect leaderless partitions and send their changes
        // ko: 다른 브로커에게 목록을, 새 브로커에게 전체 메타데이터와 LeaderAndIsr를 보낸 뒤, 새 파티션 초기화와 리더 없는 파티션 선출 결과를 보내세요
        let live = self.live_broker_ids();
        let others: BTreeSet<i32> = live.difference(new).copied().collect();
        self.send_update_metadata(&others, &[]);
        let all: Vec<TopicPartition> = self.partition_states.keys().cloned().collect();
        self.send_update_metadata(new, &all);
        let online = self.online_partitions();
        self.send_leader_and_isr(new, &online, false);

        let uninitialized: Vec<TopicPartition> = self
            .assignments
            .keys()
            .filter(|tp| !self.partition_states.contains_key(*tp))
            .cloned()
            .collect();
        let created = self.init_new_partitions(&uninitialized);
        let leaderless: Vec<TopicPartition> = self
            .online_partitions()
            .into_iter()
            .filter(|tp| {
                let leader = self.partition_states[tp].state.leader;
                leader == NO_LEADER || !live.contains(&leader)
            })
            .collect();
        let elected = self.elect_leaders(&leaderless);
        self.send_leader_and_isr(&live, &created, true);
        self.send_leader_and_isr(&live, &elected, false);
        let changed: Vec<TopicPartition> = created.into_iter().chain(elected).collect();
        if !changed.is_empty() {
            self.send_update_metadata(&live, &changed);
        }
        if !self.deletion_pending.is_empty() {
            self.resume_deletions_on(new);
        }
        // END SOLUTION
    }

    /// Runs `next_leader_and_isr` on each partition and writes the changed ones with the next
    /// leader epoch and our controller epoch. Returns the partitions changed.
    pub(crate) fn elect_leaders(&mut self, partitions: &[TopicPartition]) -> Vec<TopicPartition> {
        // BEGIN SOLUTION step 4: for each partition with a state, compute the next leader and ISR and write it with leader_epoch + 1
        // ko: 상태가 있는 파티션마다 다음 리더와 ISR을 구해 leader_epoch + 1로 쓰세요
        let live = self.live_broker_ids();
        let mut changed = Vec::new();
        for tp in partitions {
            let (Some(znode), Some(assignment)) =
                (self.partition_states.get(tp), self.assignments.get(tp))
            else {
                continue;
            };
            if let Some((leader, isr)) = next_leader_and_isr(&znode.state, assignment, &live) {
                let state = LeaderIsrAndControllerEpoch {
                    leader,
                    leader_epoch: znode.state.leader_epoch + 1,
                    isr,
                    controller_epoch: self.epoch,
                };
                self.set_partition_state(tp, state);
                changed.push(tp.clone());
            }
        }
        changed
        // END SOLUTION
    }
}
