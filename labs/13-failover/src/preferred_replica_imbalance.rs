//! Step 4: automatic preferred-leader balancing (Kafka 2.6's
//! `KafkaController.checkAndTriggerAutoLeaderRebalance`).
//!
//! Replica assignment spreads the *first* replicas — the preferred leaders — evenly over the
//! brokers. After failovers, leadership piles up on the survivors: a broker that came back
//! leads nothing. Every `leader.imbalance.check.interval.seconds` (300), when
//! `auto.leader.rebalance.enable` (true), the controller computes per broker the share of the
//! partitions it prefers to lead that it does not lead; above
//! `leader.imbalance.per.broker.percentage` (10 %) it runs a preferred election for those whose
//! preferred replica can lead (alive and in the ISR).
//!
//! ```text
//! broker 1 prefers p0 p3 p6 p9, leads p0 only → imbalance 3/4 = 75 % > 10 % → elect p3 p6 p9
//! ```

use std::collections::{BTreeMap, BTreeSet};

use lab11_controller::TopicPartition;

use crate::controlled_shutdown::PartitionView;

/// `auto.leader.rebalance.enable`'s default.
pub const DEFAULT_AUTO_LEADER_REBALANCE_ENABLE: bool = true;
/// `leader.imbalance.per.broker.percentage`'s default.
pub const DEFAULT_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE: u32 = 10;
/// `leader.imbalance.check.interval.seconds`'s default.
pub const DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS: u64 = 300;

/// Per preferred broker: `(partitions it should lead, partitions among them it does not lead)`
/// — the numerator and denominator of its imbalance ratio. Topics being deleted are left out.
pub fn imbalance_per_broker(partitions: &[PartitionView<'_>]) -> BTreeMap<i32, (usize, usize)> {
    // BEGIN SOLUTION step 4: group the partitions by the head of their assignment, counting all and those led by another broker
    // ko: 할당의 첫 레플리카로 파티션을 묶고, 전체 수와 다른 브로커가 이끄는 수를 세세요
    let mut counts: BTreeMap<i32, (usize, usize)> = BTreeMap::new();
    for p in partitions.iter().filter(|p| !p.being_deleted) {
        let Some(&preferred) = p.assignment.first() else {
            continue;
        };
        let entry = counts.entry(preferred).or_insert((0, 0));
        entry.0 += 1;
        if p.state.leader != preferred {
            entry.1 += 1;
        }
    }
    counts
    // END SOLUTION
}

/// The partitions to hand back to their preferred leader now: for every broker whose imbalance
/// ratio is *above* `percentage` %, its partitions led by another broker whose preferred
/// replica is alive and in the ISR. Nothing when `enabled` is false.
pub fn partitions_to_rebalance(
    partitions: &[PartitionView<'_>],
    live: &BTreeSet<i32>,
    enabled: bool,
    percentage: u32,
) -> Vec<TopicPartition> {
    // BEGIN SOLUTION step 4: for each broker above the threshold (compare in integers), take its partitions not led by it whose preferred replica is live and in the ISR
    // ko: 기준을 넘는 브로커마다(정수로 비교) 그 브로커가 이끌지 않으면서 선호 레플리카가 살아 있고 ISR에 있는 파티션을 고르세요
    if !enabled {
        return Vec::new();
    }
    let imbalance = imbalance_per_broker(partitions);
    let over: BTreeSet<i32> = imbalance
        .iter()
        .filter(|(_, (total, not_led))| *not_led * 100 > *total * percentage as usize)
        .map(|(b, _)| *b)
        .collect();
    partitions
        .iter()
        .filter(|p| !p.being_deleted)
        .filter_map(|p| {
            let preferred = *p.assignment.first()?;
            let eligible = over.contains(&preferred)
                && p.state.leader != preferred
                && live.contains(&preferred)
                && p.state.isr.contains(&preferred);
            eligible.then(|| p.tp.clone())
        })
        .collect()
    // END SOLUTION
}
