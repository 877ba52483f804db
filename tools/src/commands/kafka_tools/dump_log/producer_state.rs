//! The producer state files: `<offset>.snapshot` (lab 14 step 1) and `.txnindex` (lab 14
//! step 5), printed as Kafka 2.6's `DumpLogSegments.dumpProducerIdSnapshot` and
//! `dumpTxnIndex` print them.

use lab14_exactly_once::producer_snapshot::decode_snapshot;
use lab14_exactly_once::txn_index::TransactionIndex;

use super::Dump;

/// One line per producer. Kafka 2.6 keeps `currentTxnFirstOffset` as a Scala `Option`, so it
/// prints `None` or `Some(42)`; a producer that only ever wrote a marker has no batch and its
/// line stops after that field (with Kafka's trailing space).
pub fn dump_producer_snapshot(bytes: &[u8]) -> Dump {
    let entries = match decode_snapshot(bytes) {
        Ok(e) => e,
        Err(e) => {
            return Dump {
                out: String::new(),
                err: format!("{e}\n"),
            }
        }
    };
    let mut out = String::new();
    for e in entries {
        let txn_first = match e.current_txn_first_offset {
            Some(o) => format!("Some({o})"),
            None => "None".to_string(),
        };
        out.push_str(&format!(
            "producerId: {} producerEpoch: {} coordinatorEpoch: {} currentTxnFirstOffset: {txn_first} ",
            e.producer_id, e.producer_epoch, e.coordinator_epoch
        ));
        if let Some(b) = e.batch_metadata.front() {
            out.push_str(&format!(
                "firstSequence: {} lastSequence: {} lastOffset: {} offsetDelta: {} timestamp: {}",
                b.first_seq(),
                b.last_seq,
                b.last_offset,
                b.offset_delta,
                b.timestamp
            ));
        }
        out.push('\n');
    }
    Dump {
        out,
        err: String::new(),
    }
}

/// One line per aborted transaction.
pub fn dump_txn_index(bytes: &[u8]) -> Dump {
    match TransactionIndex::from_bytes(bytes) {
        Ok(index) => Dump {
            out: index
                .entries
                .iter()
                .map(|t| {
                    format!(
                        "version: 0 producerId: {} firstOffset: {} lastOffset: {} lastStableOffset: {}\n",
                        t.producer_id, t.first_offset, t.last_offset, t.last_stable_offset
                    )
                })
                .collect(),
            err: String::new(),
        },
        Err(e) => Dump {
            out: String::new(),
            err: format!("{e}\n"),
        },
    }
}
