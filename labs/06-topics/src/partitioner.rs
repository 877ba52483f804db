//! Which partition a record goes to — Kafka's default partitioner, so that a key lands on the
//! same partition whether a Java, a librdkafka (with `partitioner=murmur2_random`) or this
//! producer sent it. Same key, same partition: that is what keeps one key's records in order.
//!
//! - a record with a key: `toPositive(murmur2(key)) % partitions`, Kafka's
//!   `Utils.murmur2` and `Utils.toPositive` (`n & 0x7fffffff`, not `abs`, which overflows);
//! - a record without a key: the *sticky* partitioner (KIP-480): stay on one partition until
//!   its batch is full, then move to another at random. Big batches, few requests — and over
//!   many batches the partitions still fill evenly.

/// Kafka's murmur2 (MurmurHash2, 32-bit, seed `0x9747b28c`), byte for byte as
/// `org.apache.kafka.common.utils.Utils.murmur2` computes it.
pub fn murmur2(data: &[u8]) -> i32 {
    // BEGIN SOLUTION step 5: MurmurHash2 with Java's wrapping int arithmetic and unsigned shifts
    // ko: 자바처럼 감싸 도는 int 연산과 부호 없는 시프트로 MurmurHash2를 계산하세요
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h: u32 = SEED ^ length as u32;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        // Little-endian, as Java assembles `data[i] | data[i+1] << 8 | …`.
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    // Java's switch falls through: 3 bytes left do all three steps.
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
    // END SOLUTION
}

/// The partition of a keyed record: Kafka's `BuiltInPartitioner.partitionForKey`.
pub fn partition_for_key(key: &[u8], partitions: i32) -> i32 {
    // BEGIN SOLUTION step 5: make the hash positive with & 0x7fffffff, then take it modulo the partition count
    // ko: & 0x7fffffff로 해시를 양수로 만든 뒤 파티션 수로 나눈 나머지를 구하세요
    (murmur2(key) & 0x7fff_ffff) % partitions
    // END SOLUTION
}

/// The partition for records without a key: one partition per topic until told its batch is
/// full, then a different one at random. Seeded, so a test can replay its choices.
#[derive(Debug, Clone)]
pub struct StickyPartitioner {
    rng: fastrand::Rng,
    /// Topic → the partition its keyless records go to now. Asked once per record: a
    /// `BTreeMap`, whose lookup compares a short name or two, costs less than SipHash.
    current: std::collections::BTreeMap<String, i32>,
}

impl StickyPartitioner {
    pub fn new(seed: u64) -> StickyPartitioner {
        StickyPartitioner {
            rng: fastrand::Rng::with_seed(seed),
            current: Default::default(),
        }
    }

    /// The partition for the next keyless record of `topic` (which has `partitions`).
    pub fn partition(&mut self, topic: &str, partitions: i32) -> i32 {
        // BEGIN SOLUTION step 6: keep the topic's current partition if it still exists; otherwise pick one at random
        // ko: 토픽의 현재 파티션이 아직 있으면 그대로 쓰고, 없으면 무작위로 하나 고르세요
        match self.current.get(topic) {
            Some(&p) if p < partitions => p,
            _ => {
                let p = self.rng.i32(0..partitions.max(1));
                self.current.insert(topic.to_string(), p);
                p
            }
        }
        // END SOLUTION
    }

    /// The batch of `topic` on `partition` is full (or was sent): move keyless records to
    /// another partition — a different one whenever there are two or more.
    pub fn on_new_batch(&mut self, topic: &str, partition: i32, partitions: i32) {
        // BEGIN SOLUTION step 6: only if the topic is still on `partition`, pick another at random, never the same one when there is a choice
        // ko: 토픽이 아직 `partition`에 있을 때만 무작위로 다른 파티션을 고르세요. 고를 수 있으면 같은 파티션은 안 됩니다
        if self.current.get(topic) != Some(&partition) {
            return;
        }
        let next = if partitions <= 1 {
            0
        } else {
            // Pick among the others: a random offset 1..n from the current partition.
            (partition + self.rng.i32(1..partitions)) % partitions
        };
        self.current.insert(topic.to_string(), next);
        // END SOLUTION
    }
}

/// Chooses the partition of one record: by key if it has one, else sticky.
pub fn choose(
    sticky: &mut StickyPartitioner,
    topic: &str,
    key: Option<&[u8]>,
    partitions: i32,
) -> i32 {
    match key {
        Some(key) => partition_for_key(key, partitions),
        None => sticky.partition(topic, partitions),
    }
}
