//! Two error layers (STYLE §5): [`Errors`], the wire codes lab 14's answers carry (Kafka 2.6's
//! `Errors` enum, the transaction codes lab 04's `ErrorCode` does not list), and [`Error`], what
//! can be wrong with bytes read from a file or a log.

/// Kafka's error codes that idempotence and transactions answer with. Lab 04's `ErrorCode`
/// keeps the codes of the earlier labs; these are the ones KIP-98 added, plus the few older
/// ones a transaction coordinator answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i16)]
pub enum Errors {
    None = 0,
    UnknownTopicOrPartition = 3,
    NotLeaderOrFollower = 6,
    /// An acks=all append (a TxnOffsetCommit in a cluster) not replicated in time.
    RequestTimedOut = 7,
    CoordinatorLoadInProgress = 14,
    CoordinatorNotAvailable = 15,
    NotCoordinator = 16,
    InvalidRequest = 42,
    /// A gap: the batch does not start at the last sequence + 1.
    OutOfOrderSequenceNumber = 45,
    DuplicateSequenceNumber = 46,
    /// An older epoch than the broker knows: a zombie. In Kafka 2.6 the client raises
    /// `ProducerFencedException` for it; 2.7 (KIP-588) added PRODUCER_FENCED (90) for the
    /// coordinator's answers.
    InvalidProducerEpoch = 47,
    InvalidTxnState = 48,
    InvalidProducerIdMapping = 49,
    InvalidTransactionTimeout = 50,
    ConcurrentTransactions = 51,
    TransactionCoordinatorFenced = 52,
    UnknownProducerId = 59,
    UnknownServerError = -1,
}

impl Errors {
    pub fn code(self) -> i16 {
        self as i16
    }

    /// The variant of a wire code, if lab 14 knows it.
    pub fn from_code(code: i16) -> Option<Errors> {
        use Errors::*;
        [
            None,
            UnknownTopicOrPartition,
            NotLeaderOrFollower,
            RequestTimedOut,
            CoordinatorLoadInProgress,
            CoordinatorNotAvailable,
            NotCoordinator,
            InvalidRequest,
            OutOfOrderSequenceNumber,
            DuplicateSequenceNumber,
            InvalidProducerEpoch,
            InvalidTxnState,
            InvalidProducerIdMapping,
            InvalidTransactionTimeout,
            ConcurrentTransactions,
            TransactionCoordinatorFenced,
            UnknownProducerId,
            UnknownServerError,
        ]
        .into_iter()
        .find(|e| e.code() == code)
    }
}

/// What is wrong with a snapshot file, a `__transaction_state` record, a `.txnindex` or a
/// control record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("not enough bytes for {what}: need {needed}, have {available} (a torn write?)")]
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("{what} has version {version}, this broker reads version {expected} only")]
    UnknownVersion {
        what: &'static str,
        version: i16,
        expected: i16,
    },
    #[error("the snapshot says its CRC-32C is {stored:#010x} but its entries give {computed:#010x}: delete it and the log rebuilds the producer state")]
    CorruptSnapshot { stored: u32, computed: u32 },
    #[error("{what} is {value}, which no Kafka writes")]
    Invalid { what: &'static str, value: i64 },
    #[error("a string is not UTF-8")]
    NotUtf8,
    #[error("{extra} bytes are left after {what}")]
    TrailingBytes { what: &'static str, extra: usize },
    #[error("cannot read or write {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("a record batch: {0}")]
    Batch(#[from] lab01_record_batch::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

/// A big-endian reader over a slice, for the file formats of this lab (the request codecs use
/// lab 04's `Decoder`).
pub struct Reader<'a> {
    pub buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    pub fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(Error::Truncated {
                what,
                needed: n,
                available: self.buf.len(),
            });
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub fn i8(&mut self, what: &'static str) -> Result<i8> {
        Ok(self.take(1, what)?[0] as i8)
    }
    pub fn i16(&mut self, what: &'static str) -> Result<i16> {
        Ok(i16::from_be_bytes(
            self.take(2, what)?.try_into().unwrap_or([0; 2]),
        ))
    }
    pub fn i32(&mut self, what: &'static str) -> Result<i32> {
        Ok(i32::from_be_bytes(
            self.take(4, what)?.try_into().unwrap_or([0; 4]),
        ))
    }
    pub fn u32(&mut self, what: &'static str) -> Result<u32> {
        Ok(u32::from_be_bytes(
            self.take(4, what)?.try_into().unwrap_or([0; 4]),
        ))
    }
    pub fn i64(&mut self, what: &'static str) -> Result<i64> {
        Ok(i64::from_be_bytes(
            self.take(8, what)?.try_into().unwrap_or([0; 8]),
        ))
    }
    /// A string with an int16 length (Kafka's `STRING`).
    pub fn string(&mut self, what: &'static str) -> Result<String> {
        let len = self.i16(what)?;
        if len < 0 {
            return Err(Error::Invalid {
                what,
                value: len.into(),
            });
        }
        let bytes = self.take(len as usize, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| Error::NotUtf8)
    }
    pub fn finish(&self, what: &'static str) -> Result<()> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(Error::TrailingBytes {
                what,
                extra: self.buf.len(),
            })
        }
    }
}

/// Writes a string with an int16 length (Kafka's `STRING`).
pub fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as i16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}
