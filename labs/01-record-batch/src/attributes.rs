//! The 16-bit `attributes` field of a batch header.
//!
//! ```text
//! bit 0-2   compression codec: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd
//! bit 3     timestamp type: 0 CreateTime (the producer's clock), 1 LogAppendTime (the broker's)
//! bit 4     transactional
//! bit 5     control batch (transaction markers, not user data)
//! bit 6-15  unused here (bit 6 is the delete horizon of compacted logs)
//! ```
//!
//! Compression is a property of the whole batch, not of one record: the producer compresses the
//! records of a batch together, and a broker can store and serve that batch without ever
//! decompressing it.

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    /// The producer's timestamp (`message.timestamp.type=CreateTime`, Kafka's default).
    #[default]
    CreateTime,
    /// The broker's clock when it appended the batch.
    LogAppendTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BatchAttributes {
    pub compression: Compression,
    pub timestamp_type: TimestampType,
    pub transactional: bool,
    pub control: bool,
}

impl BatchAttributes {
    /// Reads the bit fields; a codec number Kafka does not define is an error.
    pub fn from_bits(bits: i16) -> Result<BatchAttributes> {
        // BEGIN SOLUTION step 3: pick the codec from bits 0-2 and the flags from bits 3, 4 and 5; codecs 5-7 are UnknownCompression
        // ko: 비트 0-2에서 코덱을, 비트 3, 4, 5에서 플래그를 꺼내기. 코덱 5-7은 UnknownCompression
        let compression = match bits & 0x07 {
            0 => Compression::None,
            1 => Compression::Gzip,
            2 => Compression::Snappy,
            3 => Compression::Lz4,
            4 => Compression::Zstd,
            codec => return Err(Error::UnknownCompression { codec }),
        };
        let timestamp_type = if bits & 0x08 != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        };
        Ok(BatchAttributes {
            compression,
            timestamp_type,
            transactional: bits & 0x10 != 0,
            control: bits & 0x20 != 0,
        })
        // END SOLUTION
    }

    pub fn to_bits(&self) -> i16 {
        // BEGIN SOLUTION step 3: put the codec in bits 0-2 and the flags in bits 3, 4 and 5
        // ko: 코덱을 비트 0-2에, 플래그를 비트 3, 4, 5에 넣기
        let codec = match self.compression {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        };
        let mut bits = codec;
        if self.timestamp_type == TimestampType::LogAppendTime {
            bits |= 0x08;
        }
        if self.transactional {
            bits |= 0x10;
        }
        if self.control {
            bits |= 0x20;
        }
        bits
        // END SOLUTION
    }
}
