//! `kafka-console-consumer --formatter CLASS`: how each record is printed. Kafka loads the
//! class by name; here the names of the formatters we have pick one, and any other name is an
//! error that lists them.
//!
//! The book reads `__transaction_state` with Kafka's `TransactionLogMessageFormatter`, which
//! decodes each record (lab 14 step 3's key and value) and prints the transactional id and
//! its metadata as Kafka 2.6's `TransactionMetadata.toString` does.

use lab14_exactly_once::transaction_log::{read_key, read_value};

use crate::error::Error;

pub const DEFAULT_FORMATTER: &str = "kafka.tools.DefaultMessageFormatter";
pub const TRANSACTION_LOG_FORMATTER: &str =
    "kafka.coordinator.transaction.TransactionLog$TransactionLogMessageFormatter";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Formatter {
    /// The value (and what `--property print.*` adds), Kafka's `DefaultMessageFormatter`.
    Default,
    /// `__transaction_state` records decoded.
    TransactionLog,
}

impl Formatter {
    pub fn by_name(class: &str) -> Result<Formatter, Error> {
        match class {
            DEFAULT_FORMATTER => Ok(Formatter::Default),
            TRANSACTION_LOG_FORMATTER => Ok(Formatter::TransactionLog),
            other => Err(Error::Tool(format!(
                "--formatter {other}: not a formatter these tools have; use one of {DEFAULT_FORMATTER}, {TRANSACTION_LOG_FORMATTER}"
            ))),
        }
    }
}

/// One `__transaction_state` record as Kafka 2.6 prints it:
/// `id::TransactionMetadata(transactionalId=id, producerId=…, …)`, or `id::NULL` for a
/// tombstone (an expired id). A record that is not a transaction log record is an error.
pub fn transaction_log_line(key: Option<&[u8]>, value: Option<&[u8]>) -> Result<String, String> {
    let key = key.ok_or("a __transaction_state record without a key")?;
    let id = read_key(key).map_err(|e| format!("not a transaction log key: {e}"))?;
    let metadata = match read_value(value).map_err(|e| format!("{id}: {e}"))? {
        None => "NULL".to_string(),
        Some(m) => {
            let partitions: Vec<String> = m
                .topic_partitions
                .iter()
                .map(|(t, p)| format!("{t}-{p}"))
                .collect();
            format!(
                "TransactionMetadata(transactionalId={id}, producerId={}, producerEpoch={}, \
                 txnTimeoutMs={}, state={:?}, pendingState=None, topicPartitions=Set({}), \
                 txnStartTimestamp={}, txnLastUpdateTimestamp={})",
                m.producer_id,
                m.producer_epoch,
                m.txn_timeout_ms,
                m.txn_state,
                partitions.join(", "),
                m.txn_start_timestamp,
                m.txn_last_update_timestamp
            )
        }
    };
    Ok(format!("{id}::{metadata}"))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use lab14_exactly_once::transaction_log::{key_to_bytes, value_to_bytes};
    use lab14_exactly_once::transaction_metadata::{TransactionState, TxnTransitMetadata};

    use super::*;

    fn metadata(state: TransactionState, partitions: &[(&str, i32)]) -> TxnTransitMetadata {
        TxnTransitMetadata {
            producer_id: 1000,
            last_producer_id: -1,
            producer_epoch: 0,
            last_producer_epoch: -1,
            txn_timeout_ms: 60_000,
            txn_state: state,
            topic_partitions: partitions
                .iter()
                .map(|(t, p)| (t.to_string(), *p))
                .collect::<BTreeSet<_>>(),
            txn_start_timestamp: 1_600_000_000_000,
            txn_last_update_timestamp: 1_600_000_000_050,
        }
    }

    #[test]
    fn a_record_prints_as_kafka_2_6_transaction_metadata() {
        let key = key_to_bytes("peter-transaction-01");
        let value = value_to_bytes(&metadata(
            TransactionState::Ongoing,
            &[("peter-test05", 0), ("peter-test05", 1)],
        ));
        assert_eq!(
            transaction_log_line(Some(&key), Some(&value)).expect("decodes"),
            "peter-transaction-01::TransactionMetadata(transactionalId=peter-transaction-01, \
             producerId=1000, producerEpoch=0, txnTimeoutMs=60000, state=Ongoing, pendingState=None, \
             topicPartitions=Set(peter-test05-0, peter-test05-1), txnStartTimestamp=1600000000000, \
             txnLastUpdateTimestamp=1600000000050)"
        );
        let value = value_to_bytes(&metadata(TransactionState::CompleteCommit, &[]));
        let line = transaction_log_line(Some(&key), Some(&value)).expect("decodes");
        assert!(
            line.contains("state=CompleteCommit, pendingState=None, topicPartitions=Set(),"),
            "{line}"
        );
    }

    #[test]
    fn a_tombstone_prints_null_and_a_foreign_record_is_an_error() {
        let key = key_to_bytes("gone");
        assert_eq!(
            transaction_log_line(Some(&key), None).expect("tombstone"),
            "gone::NULL"
        );
        assert!(transaction_log_line(Some(b"hello"), Some(b"world")).is_err());
        assert!(transaction_log_line(None, Some(b"x")).is_err());
    }

    #[test]
    fn an_unknown_formatter_class_names_the_known_ones() {
        assert_eq!(
            Formatter::by_name(TRANSACTION_LOG_FORMATTER).expect("known"),
            Formatter::TransactionLog
        );
        let err = Formatter::by_name("kafka.tools.LoggingMessageFormatter")
            .expect_err("unknown")
            .to_string();
        assert!(
            err.contains(DEFAULT_FORMATTER) && err.contains(TRANSACTION_LOG_FORMATTER),
            "{err}"
        );
    }
}
