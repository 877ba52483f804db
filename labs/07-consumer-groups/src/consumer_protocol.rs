//! What Kafka consumers put in the opaque bytes of JoinGroup and SyncGroup (Kafka's
//! `ConsumerProtocol`): the topics a member subscribes to, and the partitions the leader
//! assigned it. The coordinator never needs them to run the group; `kafka-consumer-groups
//! --describe` reads the assignments to show who owns which partition.
//!
//! ```text
//! subscription: version int16 | topics [string] | user_data nullable bytes
//!               | owned_partitions [topic string, partitions [int32]] (v1+) | …
//! assignment:   version int16 | partitions [topic string, partitions [int32]] | user_data nullable bytes
//! ```
//! Later versions only add fields at the end, so a reader reads what it knows and stops.

use lab04_protocol_codec::{Decoder, Encoder, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscription {
    pub topics: Vec<String>,
    pub user_data: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    /// (topic, partitions), topics sorted.
    pub partitions: Vec<(String, Vec<i32>)>,
    pub user_data: Option<Vec<u8>>,
}

fn read_strings(d: &mut Decoder<'_>) -> Result<Vec<String>> {
    let n = d.array_len(false)?.unwrap_or(0);
    (0..n).map(|_| d.string(false)).collect()
}

fn read_topic_partitions(d: &mut Decoder<'_>) -> Result<Vec<(String, Vec<i32>)>> {
    let n = d.array_len(false)?.unwrap_or(0);
    (0..n)
        .map(|_| {
            let topic = d.string(false)?;
            let m = d.array_len(false)?.unwrap_or(0);
            let partitions = (0..m).map(|_| d.i32()).collect::<Result<Vec<i32>>>()?;
            Ok((topic, partitions))
        })
        .collect()
}

impl Subscription {
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        e.i16(0);
        e.array_len(Some(self.topics.len()), false);
        for t in &self.topics {
            e.string(t, false);
        }
        e.nullable_bytes(self.user_data.as_deref(), false);
        e.into_bytes()
    }

    pub fn decode(bytes: &[u8]) -> Result<Subscription> {
        let mut d = Decoder::new(bytes);
        let _version = d.i16()?;
        let topics = read_strings(&mut d)?;
        let user_data = d.nullable_bytes(false)?.map(<[u8]>::to_vec);
        Ok(Subscription { topics, user_data })
    }
}

impl Assignment {
    pub fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        e.i16(0);
        e.array_len(Some(self.partitions.len()), false);
        for (topic, partitions) in &self.partitions {
            e.string(topic, false);
            e.array_len(Some(partitions.len()), false);
            for p in partitions {
                e.i32(*p);
            }
        }
        e.nullable_bytes(self.user_data.as_deref(), false);
        e.into_bytes()
    }

    /// Reads an assignment; empty bytes (a member the leader gave nothing) is an empty one.
    pub fn decode(bytes: &[u8]) -> Result<Assignment> {
        if bytes.is_empty() {
            return Ok(Assignment::default());
        }
        let mut d = Decoder::new(bytes);
        let _version = d.i16()?;
        let partitions = read_topic_partitions(&mut d)?;
        let user_data = if d.remaining() > 0 {
            d.nullable_bytes(false)?.map(<[u8]>::to_vec)
        } else {
            None
        };
        Ok(Assignment {
            partitions,
            user_data,
        })
    }
}
