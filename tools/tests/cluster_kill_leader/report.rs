//! What a run of cluster_kill_leader.rs found: the acknowledgements a producer wrote, the
//! leaders the test saw, and what the consumer's read says about them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A leader of one partition as the test saw it in ZooKeeper, from `since` (unix seconds).
#[derive(Debug, Clone, Copy)]
pub struct Leadership {
    pub since: f64,
    pub leader: i32,
    pub epoch: i32,
}

/// `NUMBER OFFSET TIME` lines of a producer's acknowledgements.
pub fn read_acks(path: &Path) -> Vec<(u64, i64, f64)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
                f.next()?.parse().ok()?,
            ))
        })
        .collect()
}

/// What the consumer's read says about the producer's acknowledgements.
pub struct Report {
    pub acknowledged: usize,
    pub consumed: usize,
    pub lost: Vec<u64>,
    /// Numbers read at more than one offset.
    pub duplicated: usize,
    /// Acknowledged at one offset, read only at another (a resend, or a rewritten log).
    pub moved: usize,
    /// For the first lost records: where the producer was told they are, who led then, and
    /// what the consumer reads there instead.
    pub lost_detail: String,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "acknowledged {}, lost {}, duplicated {}, read at another offset than acknowledged {}, consumed {}",
            self.acknowledged,
            self.lost.len(),
            self.duplicated,
            self.moved,
            self.consumed
        )
    }
}

pub fn check(acks: &[(u64, i64, f64)], consumed: &[(i64, u64)], timeline: &[Leadership]) -> Report {
    let mut offsets_of: BTreeMap<u64, BTreeSet<i64>> = BTreeMap::new();
    let at: BTreeMap<i64, u64> = consumed.iter().copied().collect();
    for (offset, n) in consumed {
        offsets_of.entry(*n).or_default().insert(*offset);
    }
    let mut lost = Vec::new();
    let mut moved = 0;
    let mut detail = String::new();
    for (n, offset, time) in acks {
        match offsets_of.get(n) {
            None => {
                if lost.len() < 20 {
                    let led = timeline
                        .iter()
                        .rev()
                        .find(|l| l.since <= *time)
                        .or(timeline.first());
                    detail.push_str(&format!(
                        "\n  {n}: acknowledged at offset {offset} (leader then {}), offset {offset} now holds {}",
                        led.map_or("?".into(), |l| format!("{} epoch {}", l.leader, l.epoch)),
                        at.get(offset).map_or("nothing".into(), |m| m.to_string())
                    ));
                }
                lost.push(*n);
            }
            Some(o) if !o.contains(offset) => moved += 1,
            Some(_) => {}
        }
    }
    Report {
        acknowledged: acks.len(),
        consumed: consumed.len(),
        duplicated: offsets_of.values().filter(|o| o.len() > 1).count(),
        moved,
        lost,
        lost_detail: detail,
    }
}
