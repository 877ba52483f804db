//! Step 2: transaction markers — Kafka's `EndTransactionMarker` and `ControlRecordType`.
//!
//! A marker is a record batch of its own, written by the partition leader when the
//! coordinator's WriteTxnMarkers arrives. Its attributes have bit 4 (transactional) and bit 5
//! (control) set, it carries the producer's id and epoch, base sequence −1, and one record:
//!
//! ```text
//! key:   version int16 (0) | type int16 (0 abort, 1 commit)
//! value: version int16 (0) | coordinator_epoch int32
//! ```
//!
//! Consumers never hand a control record to the application; they use it to know where a
//! transaction ended and how.

use lab01_record_batch::{BatchAttributes, Record, RecordBatch};

use crate::errors::{Error, Reader, Result};

/// The type in a control record's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControlRecordType {
    Abort = 0,
    Commit = 1,
}

/// A commit or abort marker, as its record's key and value hold it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndTransactionMarker {
    pub control_type: ControlRecordType,
    pub coordinator_epoch: i32,
}

pub const CONTROL_RECORD_KEY_VERSION: i16 = 0;
pub const END_TXN_MARKER_VALUE_VERSION: i16 = 0;

impl EndTransactionMarker {
    /// The control record's key: 4 bytes.
    pub fn key_bytes(&self) -> Vec<u8> {
        // BEGIN SOLUTION step 2: the key version, then the type, both int16
        // ko: 키 버전, 그다음 타입. 둘 다 int16
        let mut out = CONTROL_RECORD_KEY_VERSION.to_be_bytes().to_vec();
        out.extend_from_slice(&(self.control_type as i16).to_be_bytes());
        out
        // END SOLUTION
    }

    /// The control record's value: 6 bytes.
    pub fn value_bytes(&self) -> Vec<u8> {
        // BEGIN SOLUTION step 2: the value version int16, then the coordinator epoch int32
        // ko: 값 버전 int16, 그다음 코디네이터 에포크 int32
        let mut out = END_TXN_MARKER_VALUE_VERSION.to_be_bytes().to_vec();
        out.extend_from_slice(&self.coordinator_epoch.to_be_bytes());
        out
        // END SOLUTION
    }

    /// The marker of a control record, from its key and value.
    pub fn from_record(key: &[u8], value: &[u8]) -> Result<EndTransactionMarker> {
        // BEGIN SOLUTION step 2: read and check both versions, the type (0 or 1) and the epoch
        // ko: 두 버전과 타입(0 또는 1), 에포크를 읽고 확인하기
        let mut k = Reader::new(key);
        let version = k.i16("control record key version")?;
        if version != CONTROL_RECORD_KEY_VERSION {
            return Err(Error::UnknownVersion {
                what: "a control record key",
                version,
                expected: CONTROL_RECORD_KEY_VERSION,
            });
        }
        let control_type = match k.i16("control record type")? {
            0 => ControlRecordType::Abort,
            1 => ControlRecordType::Commit,
            t => {
                return Err(Error::Invalid {
                    what: "a control record type",
                    value: t.into(),
                })
            }
        };
        let mut v = Reader::new(value);
        let version = v.i16("marker value version")?;
        if version != END_TXN_MARKER_VALUE_VERSION {
            return Err(Error::UnknownVersion {
                what: "an end transaction marker",
                version,
                expected: END_TXN_MARKER_VALUE_VERSION,
            });
        }
        let coordinator_epoch = v.i32("coordinator epoch")?;
        Ok(EndTransactionMarker {
            control_type,
            coordinator_epoch,
        })
        // END SOLUTION
    }
}

/// The marker batch a leader appends at `base_offset` (`MemoryRecords.withEndTransactionMarker`).
pub fn marker_batch(
    base_offset: i64,
    timestamp: i64,
    producer_id: i64,
    producer_epoch: i16,
    marker: EndTransactionMarker,
) -> RecordBatch {
    // BEGIN SOLUTION step 2: a transactional control batch of one record, sequence -1
    // ko: 레코드 하나짜리 트랜잭션 컨트롤 배치, 시퀀스 -1
    RecordBatch {
        base_offset,
        partition_leader_epoch: -1,
        attributes: BatchAttributes {
            transactional: true,
            control: true,
            ..BatchAttributes::default()
        },
        last_offset_delta: 0,
        base_timestamp: timestamp,
        max_timestamp: timestamp,
        producer_id,
        producer_epoch,
        base_sequence: -1,
        records: vec![Record {
            attributes: 0,
            timestamp_delta: 0,
            offset_delta: 0,
            key: Some(marker.key_bytes()),
            value: Some(marker.value_bytes()),
            headers: Vec::new(),
        }],
    }
    // END SOLUTION
}

/// The marker in a batch: `None` for a batch of data, an error for a control batch that is
/// not one record with a key and a value.
pub fn read_marker(batch: &RecordBatch) -> Result<Option<EndTransactionMarker>> {
    // BEGIN SOLUTION step 2: only control batches hold a marker, in their one record
    // ko: 컨트롤 배치만 마커를 담고, 그 한 레코드 안에 있음
    if !batch.attributes.control {
        return Ok(None);
    }
    match batch.records.as_slice() {
        [r] => match (&r.key, &r.value) {
            (Some(k), Some(v)) => EndTransactionMarker::from_record(k, v).map(Some),
            _ => Err(Error::Invalid {
                what: "a control record without key or value, records",
                value: 1,
            }),
        },
        rs => Err(Error::Invalid {
            what: "the record count of a control batch",
            value: rs.len() as i64,
        }),
    }
    // END SOLUTION
}
