//! Step 4 against an independent oracle: the `kafka-protocol` crate, generated from Kafka's own
//! message JSON, has every version of ElectLeaders that Kafka 2.6 has (v0–v2). Bytes the oracle
//! writes are read by ours and written back the same.

use bytes::BytesMut;
use kafka_protocol::messages::elect_leaders_request::TopicPartitions as OracleTopicPartitions;
use kafka_protocol::messages::{ElectLeadersRequest as OracleElect, TopicName};
use kafka_protocol::protocol::{Encodable, StrBytes};
use lab04_protocol_codec::{ApiRequest, Decoder, Encoder};
use lab13_failover::messages::elect_leaders::ElectLeadersRequest;

fn name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

fn oracle_bytes(m: &impl Encodable, version: i16) -> Vec<u8> {
    let mut buf = BytesMut::new();
    m.encode(&mut buf, version).unwrap();
    buf.to_vec()
}

#[test]
fn step4_elect_leaders_requests_agree_with_the_oracle() {
    for (version, election_type) in [(0, 0), (1, 1), (2, 1)] {
        for topics in [None, Some(vec![0, 2])] {
            let oracle = OracleElect::default()
                .with_election_type(election_type)
                .with_topic_partitions(topics.clone().map(|partitions| {
                    vec![OracleTopicPartitions::default()
                        .with_topic(name("t"))
                        .with_partitions(partitions)]
                }))
                .with_timeout_ms(30_000);
            let bytes = oracle_bytes(&oracle, version);
            let mut d = Decoder::new(&bytes);
            let ours = ElectLeadersRequest::decode(&mut d, version).unwrap();
            d.finish().unwrap();
            assert_eq!(ours.election_type, election_type);
            assert_eq!(ours.timeout_ms, 30_000);
            let parts = ours
                .topic_partitions
                .as_ref()
                .map(|t| t[0].partitions.clone());
            assert_eq!(parts, topics, "v{version}");
            let mut e = Encoder::new();
            ours.encode(&mut e, version);
            assert_eq!(e.into_bytes(), bytes, "v{version} written back");
        }
    }
}
