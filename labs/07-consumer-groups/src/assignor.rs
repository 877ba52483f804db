//! The range assignor — Kafka's default (`RangeAssignor`), run by the group leader on the
//! client side: per topic, the members subscribed to it are sorted by member id and each gets
//! a consecutive range of partitions; the first `partitions % members` get one extra.
//!
//! ```text
//! topic t, 7 partitions, members a, b, c:   a → 0 1 2   b → 3 4   c → 5 6
//! ```
//! Because each topic is split on its own, members earlier in the order get the extra
//! partitions of every topic — the known imbalance that `roundrobin` and `sticky` avoid.

use std::collections::BTreeMap;

/// `subscriptions`: member id → the topics it subscribes to. `partitions`: topic → how many
/// partitions it has (topics missing here are skipped). Returns member id → (topic → its
/// partitions), with every member present, possibly with nothing.
pub fn range_assign(
    subscriptions: &BTreeMap<String, Vec<String>>,
    partitions: &BTreeMap<String, i32>,
) -> BTreeMap<String, BTreeMap<String, Vec<i32>>> {
    let mut result: BTreeMap<String, BTreeMap<String, Vec<i32>>> = subscriptions
        .keys()
        .map(|m| (m.clone(), BTreeMap::new()))
        .collect();
    // BEGIN SOLUTION step 7: for each topic, its subscribers in member-id order; n / m each, the first n % m one more, in consecutive ranges
    // ko: 토픽마다 구독자를 멤버 ID 순서로 놓고 n / m개씩, 앞의 n % m명은 하나 더, 이어지는 범위로 나누세요
    for (topic, &count) in partitions {
        let members: Vec<&String> = subscriptions
            .iter()
            .filter(|(_, topics)| topics.contains(topic))
            .map(|(m, _)| m)
            .collect();
        if members.is_empty() || count <= 0 {
            continue;
        }
        let per = count / members.len() as i32;
        let extra = count % members.len() as i32;
        let mut next = 0;
        for (i, member) in members.iter().enumerate() {
            let n = per + i32::from((i as i32) < extra);
            if n > 0 {
                result
                    .get_mut(*member)
                    .expect("every member is in the result")
                    .insert(topic.clone(), (next..next + n).collect());
            }
            next += n;
        }
    }
    result
    // END SOLUTION
}
