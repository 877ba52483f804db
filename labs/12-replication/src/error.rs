//! The one error type of lab 12. Errors a client or a follower must see travel as Kafka's
//! wire codes ([`crate::ErrorCode`]) inside results; these are the caller's mistakes.

use lab11_controller::TopicPartition;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The broker does not hold this partition (as a leader, or as a follower).
    #[error("partition {0} is not here: did the broker get its LeaderAndIsr?")]
    UnknownPartition(TopicPartition),
    /// A LeaderAndIsr state that makes no sense: the leader is not one of the replicas, or the
    /// ISR names a broker that is not a replica.
    #[error("partition {tp}: bad LeaderAndIsr state: {reason}")]
    BadPartitionState { tp: TopicPartition, reason: String },
    /// A fetch answer for an offset the follower is no longer at (Kafka's "Offset mismatch"
    /// IllegalStateException): an old answer, to be dropped.
    #[error("partition {tp}: fetched offset {fetch_offset} but the log ends at {log_end_offset}")]
    OffsetMismatch {
        tp: TopicPartition,
        fetch_offset: i64,
        log_end_offset: i64,
    },
    /// A fetch answer whose records do not start at the offset fetched, or go backwards.
    #[error("partition {tp}: records {first}..={last} do not continue a log that ends at {log_end_offset}")]
    RecordsOutOfOrder {
        tp: TopicPartition,
        first: i64,
        last: i64,
        log_end_offset: i64,
    },
    /// The leader answered a fetch with an error (NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH,
    /// OFFSET_OUT_OF_RANGE…): back off, or wait for the controller's LeaderAndIsr.
    #[error("partition {tp}: the leader answered the fetch with {error:?}")]
    FetchFailed {
        tp: TopicPartition,
        error: lab04_protocol_codec::ErrorCode,
    },
    /// An `/isr_change_notification` znode that is not Kafka's JSON.
    #[error("{0}")]
    BadNotification(String),
    /// A record count that is not positive.
    #[error("an append needs at least one record, not {0}")]
    EmptyAppend(i64),
}

pub type Result<T> = std::result::Result<T, Error>;
