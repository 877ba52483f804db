//! Step 5: the checker of the slides' promise — *a broker can die and no message is lost* —
//! for one partition, in the spirit of Maelstrom's Kafka checker. A simulation (see
//! `tests/sim`) tells it what producers were told and what consumers read; at the end it gets
//! the logs of the ISR members and counts what went wrong:
//!
//! | count         | what it means                                                            |
//! |---------------|--------------------------------------------------------------------------|
//! | `lost`        | a record acknowledged with `acks=all` (while `min.insync.replicas` held) is not at its offset in every ISR member's log |
//! | `changed`     | a record a consumer read (below the high watermark) is not at its offset any more, or two reads of an offset saw different records |
//! | `duplicated`  | a record is at more than one offset of a log                              |
//! | `nonmonotonic`| a consumer's next read was not at a higher offset than its last one      |
//!
//! Records are `u64` values, unique per produce, so a value names a record.

use std::collections::BTreeMap;

/// What the checker counts; all zero is a run that kept the promise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub acknowledged: u64,
    pub read: u64,
    pub lost: u64,
    pub changed: u64,
    pub duplicated: u64,
    pub nonmonotonic: u64,
}

impl CheckReport {
    /// Whether nothing went wrong.
    pub fn is_valid(&self) -> bool {
        self.lost == 0 && self.changed == 0 && self.duplicated == 0 && self.nonmonotonic == 0
    }
}

/// The history of one partition.
#[derive(Debug, Clone, Default)]
pub struct FailoverChecker {
    /// Acknowledged records: value → the offset the producer was told.
    acked: BTreeMap<u64, i64>,
    /// What consumers read: offset → value (the first read of that offset).
    read: BTreeMap<i64, u64>,
    /// The last offset read by each consumer.
    last_read: BTreeMap<u32, i64>,
    changed_on_reread: u64,
    nonmonotonic: u64,
}

impl FailoverChecker {
    pub fn new() -> FailoverChecker {
        FailoverChecker::default()
    }

    /// A producer was told that `value` is at `offset` (an `acks=all` success).
    pub fn acknowledged(&mut self, value: u64, offset: i64) {
        self.acked.insert(value, offset);
    }

    /// Consumer `consumer` read `value` at `offset`.
    pub fn consumed(&mut self, consumer: u32, offset: i64, value: u64) {
        // BEGIN SOLUTION step 5: count a read at or below the consumer's last offset as nonmonotonic, a reread with another value as changed; remember the first value of each offset and the last offset per consumer
        // ko: 컨슈머의 마지막 오프셋 이하를 읽으면 nonmonotonic, 같은 오프셋을 다른 값으로 다시 읽으면 changed로 세고, 오프셋마다 처음 값과 컨슈머마다 마지막 오프셋을 기억하세요
        if let Some(&last) = self.last_read.get(&consumer) {
            if offset <= last {
                self.nonmonotonic += 1;
            }
        }
        self.last_read.insert(consumer, offset);
        match self.read.get(&offset) {
            Some(&seen) if seen != value => self.changed_on_reread += 1,
            Some(_) => {}
            None => {
                self.read.insert(offset, value);
            }
        }
        // END SOLUTION
    }

    /// The final check, once the cluster has healed: `isr_logs` are the logs (values by
    /// offset) of the ISR members.
    pub fn check(&self, isr_logs: &[&[u64]]) -> CheckReport {
        // BEGIN SOLUTION step 5: an acknowledged value missing at its offset in any ISR log is lost; a read value missing there is changed (plus rereads); count values found at more than one offset in each log; add the nonmonotonic reads
        // ko: 확인받은 값이 어느 ISR 로그에서든 그 오프셋에 없으면 lost, 읽은 값이 없으면 changed(다시 읽기 포함), 로그마다 둘 이상의 오프셋에 있는 값을 duplicated로 세고, nonmonotonic을 더하세요
        let at = |log: &[u64], offset: i64| {
            usize::try_from(offset)
                .ok()
                .and_then(|i| log.get(i).copied())
        };
        let lost = self
            .acked
            .iter()
            .filter(|(&value, &offset)| isr_logs.iter().any(|log| at(log, offset) != Some(value)))
            .count() as u64;
        let changed = self
            .read
            .iter()
            .filter(|(&offset, &value)| isr_logs.iter().any(|log| at(log, offset) != Some(value)))
            .count() as u64
            + self.changed_on_reread;
        let mut duplicated = 0;
        for log in isr_logs {
            let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
            for v in log.iter() {
                *seen.entry(*v).or_insert(0) += 1;
            }
            duplicated += seen.values().filter(|&&n| n > 1).count() as u64;
        }
        CheckReport {
            acknowledged: self.acked.len() as u64,
            read: self.read.len() as u64,
            lost,
            changed,
            duplicated,
            nonmonotonic: self.nonmonotonic,
        }
        // END SOLUTION
    }
}
