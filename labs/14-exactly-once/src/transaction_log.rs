//! Step 3: the records of `__transaction_state` — Kafka 2.6's `TransactionLog` — and which of
//! its 50 partitions (`transaction.state.log.num.partitions`) holds a transactional id.
//!
//! The topic is compacted: the key is the transactional id, the newest value is its state, a
//! null value (a tombstone) removes it. The leader of the id's partition is its coordinator.
//!
//! ```text
//! key   (version 0): version int16 | transactional_id string
//! value (version 0): version int16 | producer_id int64 | producer_epoch int16
//!                    | transaction_timeout_ms int32 | transaction_status int8
//!                    | transaction_partitions nullable [topic string | partition_ids [int32]]
//!                    | transaction_last_update_timestamp_ms int64
//!                    | transaction_start_timestamp_ms int64
//! ```
//! `transaction_partitions` is null in state Empty, grouped by topic otherwise.

use std::collections::{BTreeMap, BTreeSet};

use crate::errors::{put_string, Error, Reader, Result};
use crate::transaction_metadata::{TransactionState, TxnTransitMetadata};

pub const TRANSACTION_STATE_TOPIC: &str = "__transaction_state";
/// `transaction.state.log.num.partitions`'s default.
pub const DEFAULT_NUM_PARTITIONS: i32 = 50;
pub const KEY_VERSION: i16 = 0;
pub const VALUE_VERSION: i16 = 0;

/// Java's `String.hashCode`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units, wrapping.
pub fn java_string_hash(s: &str) -> i32 {
    // BEGIN SOLUTION step 3: h = 31 * h + unit over the UTF-16 code units, wrapping on overflow
    // ko: UTF-16 코드 유닛마다 h = 31 * h + unit, 넘치면 감싸기
    s.encode_utf16()
        .fold(0i32, |h, u| h.wrapping_mul(31).wrapping_add(i32::from(u)))
    // END SOLUTION
}

/// The `__transaction_state` partition of a transactional id
/// (`Utils.abs(transactionalId.hashCode) % partitionCount`; Kafka's `Utils.abs` maps
/// `i32::MIN` to 0).
pub fn partition_for(transactional_id: &str, num_partitions: i32) -> i32 {
    // BEGIN SOLUTION step 3: Kafka's abs of the hash (MIN gives 0), modulo the partition count
    // ko: 해시의 카프카식 abs(MIN은 0), 파티션 수로 나눈 나머지
    let h = java_string_hash(transactional_id);
    let abs = if h == i32::MIN { 0 } else { h.abs() };
    abs % num_partitions
    // END SOLUTION
}

/// The record key of a transactional id.
pub fn key_to_bytes(transactional_id: &str) -> Vec<u8> {
    // BEGIN SOLUTION step 3: the key version, then the id as an int16-length string
    // ko: 키 버전, 그다음 int16 길이 문자열로 ID
    let mut out = KEY_VERSION.to_be_bytes().to_vec();
    put_string(&mut out, transactional_id);
    out
    // END SOLUTION
}

pub fn read_key(bytes: &[u8]) -> Result<String> {
    // BEGIN SOLUTION step 3: check the version, read the id, nothing may be left
    // ko: 버전을 확인하고 ID를 읽기. 남는 바이트가 없어야 함
    let mut r = Reader::new(bytes);
    let version = r.i16("transaction log key version")?;
    if version != KEY_VERSION {
        return Err(Error::UnknownVersion {
            what: "a transaction log key",
            version,
            expected: KEY_VERSION,
        });
    }
    let id = r.string("transactional id")?;
    r.finish("a transaction log key")?;
    Ok(id)
    // END SOLUTION
}

/// The record value of a transaction's state.
pub fn value_to_bytes(t: &TxnTransitMetadata) -> Vec<u8> {
    // BEGIN SOLUTION step 3: the value fields in order; partitions null when Empty, else grouped by topic
    // ko: 값 필드를 순서대로. Empty면 파티션은 null, 아니면 토픽별로 묶기
    let mut out = VALUE_VERSION.to_be_bytes().to_vec();
    out.extend_from_slice(&t.producer_id.to_be_bytes());
    out.extend_from_slice(&t.producer_epoch.to_be_bytes());
    out.extend_from_slice(&t.txn_timeout_ms.to_be_bytes());
    out.push(t.txn_state as u8);
    if t.txn_state == TransactionState::Empty {
        out.extend_from_slice(&(-1i32).to_be_bytes());
    } else {
        let mut by_topic: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
        for (topic, p) in &t.topic_partitions {
            by_topic.entry(topic).or_default().push(*p);
        }
        out.extend_from_slice(&(by_topic.len() as i32).to_be_bytes());
        for (topic, parts) in by_topic {
            put_string(&mut out, topic);
            out.extend_from_slice(&(parts.len() as i32).to_be_bytes());
            for p in parts {
                out.extend_from_slice(&p.to_be_bytes());
            }
        }
    }
    out.extend_from_slice(&t.txn_last_update_timestamp.to_be_bytes());
    out.extend_from_slice(&t.txn_start_timestamp.to_be_bytes());
    out
    // END SOLUTION
}

/// Reads a value; `None` for a tombstone. The last producer id and epoch are not in version 0,
/// so they read as −1.
pub fn read_value(bytes: Option<&[u8]>) -> Result<Option<TxnTransitMetadata>> {
    // BEGIN SOLUTION step 3: a tombstone is None; else check the version and read the fields back
    // ko: 톰스톤이면 None. 아니면 버전을 확인하고 필드를 다시 읽기
    let Some(bytes) = bytes else { return Ok(None) };
    let mut r = Reader::new(bytes);
    let version = r.i16("transaction log value version")?;
    if version != VALUE_VERSION {
        return Err(Error::UnknownVersion {
            what: "a transaction log value",
            version,
            expected: VALUE_VERSION,
        });
    }
    let producer_id = r.i64("producer id")?;
    let producer_epoch = r.i16("producer epoch")?;
    let txn_timeout_ms = r.i32("transaction timeout")?;
    let status = r.i8("transaction status")?;
    let txn_state = TransactionState::from_byte(status).ok_or(Error::Invalid {
        what: "a transaction status",
        value: status.into(),
    })?;
    let mut topic_partitions = BTreeSet::new();
    let topics = r.i32("partition topics")?;
    for _ in 0..topics.max(0) {
        let topic = r.string("topic")?;
        let n = r.i32("partition count")?;
        for _ in 0..n.max(0) {
            topic_partitions.insert((topic.clone(), r.i32("partition")?));
        }
    }
    let txn_last_update_timestamp = r.i64("last update timestamp")?;
    let txn_start_timestamp = r.i64("start timestamp")?;
    r.finish("a transaction log value")?;
    Ok(Some(TxnTransitMetadata {
        producer_id,
        last_producer_id: -1,
        producer_epoch,
        last_producer_epoch: -1,
        txn_timeout_ms,
        txn_state,
        topic_partitions,
        txn_start_timestamp,
        txn_last_update_timestamp,
    }))
    // END SOLUTION
}
