//! Committed offsets, kept where Kafka keeps them: as records of the internal topic
//! `__consumer_offsets`, on this broker's own log. A commit appends a record; on start the
//! broker reads the topic from the beginning and the last record per key wins. A record with
//! a null value (a tombstone) deletes the key — how a deleted group's offsets disappear.
//!
//! ```text
//! key   (OffsetCommitKey, version 1):   version int16 | group string | topic string | partition int32
//! value (OffsetCommitValue, version 3): version int16 | offset int64 | leader_epoch int32
//!                                       | metadata string | commit_timestamp int64
//! ```
//! (Key versions 0 and 1 are offsets; version 2 is a group's metadata, which this broker does
//! not store: members rejoin after a restart.) Strings are int16-length, like the protocol's.

use std::collections::BTreeMap;

use lab01_record_batch::{RecordBatch, RecordBatchBuilder};
use lab04_protocol_codec::{Decoder, Encoder};

use crate::error::{Error, Result};
use crate::group_metadata_manager::OffsetRecord;

/// The internal topic's name.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// `offsets.topic.num.partitions`: Kafka's default.
pub const OFFSETS_PARTITIONS: i32 = 50;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OffsetKey {
    pub group: String,
    pub topic: String,
    pub partition: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetValue {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: String,
    pub commit_timestamp: i64,
}

/// The `__consumer_offsets` partition that holds `group`'s offsets — and whose leader is the
/// group's coordinator: `abs(groupId.hashCode()) % partitions`, with Java's `String.hashCode`
/// (over UTF-16 code units) so that a Kafka broker would pick the same partition.
pub fn partition_for_group(group: &str, partitions: i32) -> i32 {
    // BEGIN SOLUTION step 6: Java's hashCode (h = 31 * h + c over UTF-16 units, wrapping), Kafka's abs, then modulo
    // ko: 자바의 hashCode(UTF-16 단위마다 h = 31 * h + c, 감싸 도는 연산), 카프카의 abs, 그다음 나머지를 구하세요
    let hash = group
        .encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)));
    // Kafka's `Utils.abs`: Integer.MIN_VALUE maps to 0, not to itself.
    let positive = if hash == i32::MIN { 0 } else { hash.abs() };
    positive % partitions
    // END SOLUTION
}

/// The record key of a committed offset.
pub fn encode_key(key: &OffsetKey) -> Vec<u8> {
    // BEGIN SOLUTION step 6: version 1, then group, topic and partition
    // ko: 버전 1, 그다음 그룹, 토픽, 파티션을 쓰세요
    let mut e = Encoder::new();
    e.i16(1);
    e.string(&key.group, false);
    e.string(&key.topic, false);
    e.i32(key.partition);
    e.into_bytes()
    // END SOLUTION
}

/// The record value of a committed offset.
pub fn encode_value(value: &OffsetValue) -> Vec<u8> {
    // BEGIN SOLUTION step 6: version 3, then offset, leader epoch, metadata and commit time
    // ko: 버전 3, 그다음 오프셋, 리더 에포크, 메타데이터, 커밋 시각을 쓰세요
    let mut e = Encoder::new();
    e.i16(3);
    e.i64(value.offset);
    e.i32(value.leader_epoch);
    e.string(&value.metadata, false);
    e.i64(value.commit_timestamp);
    e.into_bytes()
    // END SOLUTION
}

/// Reads a record key: `Some` for an offset key (versions 0 and 1), `None` for a group
/// metadata key (version 2), an error for anything else.
pub fn decode_key(bytes: &[u8], at: i64) -> Result<Option<OffsetKey>> {
    let bad = |reason: String| Error::OffsetRecord { offset: at, reason };
    // BEGIN SOLUTION step 6: read the version; 0 and 1 are offset keys, 2 is group metadata, any other is Error::OffsetRecord
    // ko: 버전을 읽으세요. 0과 1은 오프셋 키, 2는 그룹 메타데이터, 그 밖에는 Error::OffsetRecord입니다
    let mut d = Decoder::new(bytes);
    let version = d.i16().map_err(|e| bad(e.to_string()))?;
    match version {
        0 | 1 => {
            let key = (|| {
                Ok::<_, lab04_protocol_codec::Error>(OffsetKey {
                    group: d.string(false)?,
                    topic: d.string(false)?,
                    partition: d.i32()?,
                })
            })()
            .map_err(|e| bad(e.to_string()))?;
            Ok(Some(key))
        }
        2 => Ok(None),
        v => Err(bad(format!("unknown key version {v}"))),
    }
    // END SOLUTION
}

/// Reads a record value of versions 0 to 3 (v1 adds an expire time, v3 a leader epoch and
/// drops the expire time).
pub fn decode_value(bytes: &[u8], at: i64) -> Result<OffsetValue> {
    let bad = |reason: String| Error::OffsetRecord { offset: at, reason };
    // BEGIN SOLUTION step 6: read each version's fields in order; a record cut short is Error::OffsetRecord
    // ko: 버전마다 필드를 순서대로 읽으세요. 잘린 레코드는 Error::OffsetRecord입니다
    let mut d = Decoder::new(bytes);
    let read =
        |d: &mut Decoder<'_>| -> std::result::Result<OffsetValue, lab04_protocol_codec::Error> {
            let version = d.i16()?;
            let offset = d.i64()?;
            let leader_epoch = if version >= 3 { d.i32()? } else { -1 };
            let metadata = d.string(false)?;
            let commit_timestamp = d.i64()?;
            if version == 1 {
                let _expire_timestamp = d.i64()?;
            }
            Ok(OffsetValue {
                offset,
                leader_epoch,
                metadata,
                commit_timestamp,
            })
        };
    read(&mut d).map_err(|e| bad(e.to_string()))
    // END SOLUTION
}

/// Every group's committed offsets, as replayed from `__consumer_offsets` and kept up to date
/// by commits.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OffsetStore {
    offsets: BTreeMap<OffsetKey, OffsetValue>,
}

impl OffsetStore {
    /// Applies one record of the topic: a value sets the key, a tombstone (no value) deletes it.
    pub fn apply(&mut self, key: OffsetKey, value: Option<OffsetValue>) {
        // BEGIN SOLUTION step 6: the last record per key wins; a tombstone removes the key
        // ko: 키마다 마지막 레코드가 이기고, 툼스톤은 키를 지웁니다
        match value {
            Some(v) => {
                self.offsets.insert(key, v);
            }
            None => {
                self.offsets.remove(&key);
            }
        }
        // END SOLUTION
    }

    pub fn get(&self, group: &str, topic: &str, partition: i32) -> Option<&OffsetValue> {
        self.offsets.get(&OffsetKey {
            group: group.into(),
            topic: topic.into(),
            partition,
        })
    }

    /// The committed offsets of one group, by topic and partition.
    pub fn group(&self, group: &str) -> Vec<(&OffsetKey, &OffsetValue)> {
        self.offsets
            .iter()
            .filter(|(k, _)| k.group == group)
            .collect()
    }

    /// Keeps only the offsets `keep` says yes to (a partition of the topic unloaded).
    pub fn retain(&mut self, keep: impl Fn(&OffsetKey) -> bool) {
        self.offsets.retain(|k, _| keep(k));
    }

    /// The names of the groups with committed offsets.
    pub fn groups(&self) -> Vec<String> {
        let mut names: Vec<String> = self.offsets.keys().map(|k| k.group.clone()).collect();
        names.dedup();
        names
    }
}

/// The offset records of one batch (a group metadata record, key v2, is not one); a damaged
/// record is skipped with a log line.
pub fn offset_records(batch: &RecordBatch) -> Vec<OffsetRecord> {
    let mut records = Vec::new();
    for r in &batch.records {
        let at = batch.base_offset + i64::from(r.offset_delta);
        let key = match r.key.as_deref().map(|k| decode_key(k, at)) {
            Some(Ok(Some(key))) => key,
            None | Some(Ok(None)) => continue,
            Some(Err(e)) => {
                tracing::warn!("{e}; skipped");
                continue;
            }
        };
        let value = match r.value.as_deref().map(|v| decode_value(v, at)) {
            None => None,
            Some(Ok(v)) => Some(v),
            Some(Err(e)) => {
                tracing::warn!("{e}; skipped");
                continue;
            }
        };
        records.push((key, value));
    }
    records
}

/// One batch holding `records`, keys and values in the topic's format.
pub fn offsets_batch(records: &[OffsetRecord], now: i64) -> RecordBatch {
    let mut builder = RecordBatchBuilder::new(0);
    for (key, value) in records {
        let key = encode_key(key);
        let value = value.as_ref().map(encode_value);
        builder.append(now, Some(&key), value.as_deref(), vec![]);
    }
    builder.build()
}
