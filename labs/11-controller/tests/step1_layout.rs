//! Step 1: Kafka 2.6's znodes, byte for byte. The golden strings are what `zkCli.sh get`
//! prints on a Kafka 2.x cluster (and the examples in Kafka's `ZkData.scala`).

use std::collections::BTreeMap;

use lab11_controller::zk_data::{
    decode_cluster_id, decode_controller_epoch, encode_cluster_id, encode_controller_epoch, paths,
    ControllerZNode,
};
use lab11_controller::{
    BrokerInfo, EndPoint, Error, LeaderIsrAndControllerEpoch, TopicAssignment, TopicConfig,
    ZkConnect,
};

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

fn plaintext(host: &str, port: i32) -> EndPoint {
    EndPoint {
        listener_name: "PLAINTEXT".into(),
        host: host.into(),
        port,
        security_protocol: "PLAINTEXT".into(),
    }
}

#[test]
fn step1_zookeeper_connect_splits_servers_and_chroot() {
    let c = ZkConnect::parse("kafka01:2181,kafka02:2181,kafka03:2181/my-kafka-cluster").unwrap();
    assert_eq!(
        c.servers,
        vec![
            ("kafka01".to_string(), 2181),
            ("kafka02".to_string(), 2181),
            ("kafka03".to_string(), 2181)
        ]
    );
    assert_eq!(c.chroot.as_deref(), Some("/my-kafka-cluster"));
    assert_eq!(c.path("/brokers/ids"), "/my-kafka-cluster/brokers/ids");
    assert_eq!(
        c.path(&paths::broker_id(1)),
        "/my-kafka-cluster/brokers/ids/1"
    );
    assert_eq!(c.path("/"), "/my-kafka-cluster");
    assert_eq!(c.servers_string(), "kafka01:2181,kafka02:2181,kafka03:2181");

    let nested = ZkConnect::parse("127.0.0.1:2181/a/b").unwrap();
    assert_eq!(nested.path("/controller"), "/a/b/controller");
}

#[test]
fn step1_zookeeper_connect_without_chroot_or_port() {
    let c = ZkConnect::parse("localhost").unwrap();
    assert_eq!(c.servers, vec![("localhost".to_string(), 2181)]);
    assert_eq!(c.chroot, None);
    assert_eq!(c.path("/controller"), "/controller");
    assert_eq!(ZkConnect::parse("h:2182/").unwrap().chroot, None);
}

#[test]
fn step1_bad_zookeeper_connect_is_refused_with_the_reason() {
    for bad in [
        "",
        "h:2181,,h2:2181",
        ":2181",
        "h:port",
        "h:0",
        "h:2181/a/",
        "h:2181/a//b",
        "h:2181/a/../b",
    ] {
        match ZkConnect::parse(bad) {
            Err(Error::BadConnectString { value, .. }) => assert_eq!(value, bad),
            other => panic!("{bad:?} should be refused, got {other:?}"),
        }
    }
}

#[test]
fn step1_broker_registration_is_kafka_version_4_json() {
    let info = BrokerInfo {
        id: 1,
        endpoints: vec![plaintext("kafka01", 9092)],
        rack: None,
        jmx_port: -1,
        timestamp_ms: 1_596_000_000_000,
        version: 4,
    };
    let json = text(info.encode());
    assert_eq!(
        json,
        r#"{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://kafka01:9092"],"jmx_port":-1,"host":"kafka01","timestamp":"1596000000000","port":9092,"version":4}"#
    );
    assert_eq!(BrokerInfo::decode(1, json.as_bytes()).unwrap(), info);
}

#[test]
fn step1_broker_registrations_written_by_kafka_decode() {
    // Two listeners, from a Kafka 2.x cluster in Docker.
    let two = br#"{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT","PLAINTEXT_HOST":"PLAINTEXT"},"endpoints":["PLAINTEXT://kafka-1:9092","PLAINTEXT_HOST://localhost:29092"],"jmx_port":-1,"host":"kafka-1","timestamp":"1574676574001","port":9092,"version":4}"#;
    let info = BrokerInfo::decode(1, two).unwrap();
    assert_eq!(info.endpoints.len(), 2);
    assert_eq!(info.endpoints[1].listener_name, "PLAINTEXT_HOST");
    assert_eq!(info.endpoints[1].host, "localhost");
    assert_eq!(info.endpoints[1].port, 29092);
    assert_eq!(info.endpoints[1].security_protocol, "PLAINTEXT");
    assert_eq!(info.timestamp_ms, 1_574_676_574_001);
    assert_eq!(info.plaintext_endpoint().unwrap().host, "kafka-1");

    // ZkData.scala's version 3 example: no listener map, so listeners are protocol names.
    let v3 = br#"{"version":3,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"2233345666","endpoints":["PLAINTEXT://host1:9092", "SSL://host1:9093"],"rack":"dc1"}"#;
    let info = BrokerInfo::decode(7, v3).unwrap();
    assert_eq!(info.id, 7);
    assert_eq!(info.rack.as_deref(), Some("dc1"));
    assert_eq!(info.jmx_port, 9999);
    assert_eq!(info.endpoints[1].security_protocol, "SSL");
    assert_eq!(info.endpoints[1].security_protocol_id(), 1);

    // With a rack, the key is written and read back.
    let mut racked = info.clone();
    racked.version = 4;
    let json = text(racked.encode());
    assert!(json.contains(r#""rack":"dc1""#), "{json}");
    assert_eq!(BrokerInfo::decode(7, json.as_bytes()).unwrap(), racked);

    // An IPv6 endpoint keeps its brackets in the string, not in the host.
    let v6 = br#"{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://[::1]:9092"],"jmx_port":-1,"host":"::1","timestamp":"1","port":9092,"version":4}"#;
    let info = BrokerInfo::decode(1, v6).unwrap();
    assert_eq!(info.endpoints[0].host, "::1");
    assert_eq!(
        info.endpoints[0].connection_string(),
        "PLAINTEXT://[::1]:9092"
    );
}

#[test]
fn step1_version_5_registrations_and_brokers_without_plaintext() {
    // Kafka 2.7's version 5 adds "features"; a 2.6 reader (and ours) ignores it.
    let v5 = br#"{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://kafka01:9092"],"jmx_port":-1,"host":"kafka01","timestamp":"1","port":9092,"version":5}"#;
    let info = BrokerInfo::decode(1, v5).unwrap();
    assert_eq!((info.version, info.endpoints[0].port), (5, 9092));
    // Only an SSL listener: old clients get host null and port -1 (EndPoint(null, -1, ..)).
    let ssl_only = BrokerInfo {
        id: 2,
        endpoints: vec![EndPoint {
            listener_name: "SECURE".into(),
            host: "kafka02".into(),
            port: 9093,
            security_protocol: "SSL".into(),
        }],
        rack: None,
        jmx_port: -1,
        timestamp_ms: 5,
        version: 4,
    };
    let json = text(ssl_only.encode());
    assert_eq!(
        json,
        r#"{"listener_security_protocol_map":{"SECURE":"SSL"},"endpoints":["SECURE://kafka02:9093"],"jmx_port":-1,"host":null,"timestamp":"5","port":-1,"version":4}"#
    );
    assert_eq!(BrokerInfo::decode(2, json.as_bytes()).unwrap(), ssl_only);
}

#[test]
fn step1_bad_broker_registrations_are_refused() {
    assert!(matches!(
        BrokerInfo::decode(1, b"not json"),
        Err(Error::BadZnodeData { .. })
    ));
    assert!(matches!(
        BrokerInfo::decode(
            1,
            br#"{"endpoints":[],"jmx_port":-1,"host":null,"timestamp":"1","port":-1,"version":1}"#
        ),
        Err(Error::UnsupportedVersion { version: 1, .. })
    ));
    // CLIENT is not a security protocol, and there is no map to say which one it uses.
    assert!(matches!(
        BrokerInfo::decode(1, br#"{"endpoints":["CLIENT://h:9092"],"jmx_port":-1,"host":null,"timestamp":"1","port":-1,"version":4}"#),
        Err(Error::BadEndpoint { .. })
    ));
    assert!(matches!(
        BrokerInfo::decode(1, br#"{"endpoints":["PLAINTEXT:/h:9092"],"jmx_port":-1,"host":null,"timestamp":"1","port":-1,"version":4}"#),
        Err(Error::BadEndpoint { .. })
    ));
}

#[test]
fn step1_controller_epoch_and_cluster_id() {
    let c = ControllerZNode {
        broker_id: 1,
        timestamp_ms: 1_596_000_000_000,
    };
    let json = text(c.encode());
    assert_eq!(
        json,
        r#"{"version":1,"brokerid":1,"timestamp":"1596000000000"}"#
    );
    assert_eq!(ControllerZNode::decode(json.as_bytes()).unwrap(), c);
    assert!(matches!(
        ControllerZNode::decode(br#"{"version":2,"brokerid":1,"timestamp":"1"}"#),
        Err(Error::UnsupportedVersion { version: 2, .. })
    ));

    assert_eq!(encode_controller_epoch(17), b"17");
    assert_eq!(decode_controller_epoch(b"17").unwrap(), 17);
    assert!(matches!(
        decode_controller_epoch(b"x"),
        Err(Error::BadZnodeData { .. })
    ));

    let id = text(encode_cluster_id("ZnVuLWNsdXN0ZXItaWQ"));
    assert_eq!(id, r#"{"version":"1","id":"ZnVuLWNsdXN0ZXItaWQ"}"#);
    assert_eq!(
        decode_cluster_id(id.as_bytes()).unwrap(),
        "ZnVuLWNsdXN0ZXItaWQ"
    );
}

#[test]
fn step1_topic_assignment_is_version_2_with_reassignment_maps() {
    let a = TopicAssignment {
        partitions: BTreeMap::from([(0, vec![1, 2])]),
        ..TopicAssignment::default()
    };
    assert_eq!(
        text(a.encode()),
        r#"{"version":2,"partitions":{"0":[1,2]},"adding_replicas":{},"removing_replicas":{}}"#
    );
    // Kafka writes partitions in a hash map's order; any order reads.
    let kafka = br#"{"version":2,"partitions":{"2":[3,2],"1":[2,1],"0":[1,3],"3":[1,2]},"adding_replicas":{},"removing_replicas":{}}"#;
    let read = TopicAssignment::decode(kafka).unwrap();
    assert_eq!(read.partitions[&2], vec![3, 2]);
    assert_eq!(read.partitions.len(), 4);
    // Partition keys are numbers: 10 sorts after 2.
    let many = TopicAssignment {
        partitions: (0..11).map(|p| (p, vec![1])).collect(),
        ..TopicAssignment::default()
    };
    let json = text(many.encode());
    assert!(json.contains(r#""9":[1],"10":[1]"#), "{json}");
    // Version 1 (before KIP-455) has no reassignment maps.
    let v1 = TopicAssignment::decode(br#"{"version":1,"partitions":{"0":[0]}}"#).unwrap();
    assert_eq!(v1.partitions[&0], vec![0]);
    assert!(v1.adding_replicas.is_empty());
    // Reassignment maps are read.
    let moving = TopicAssignment::decode(
        br#"{"version":2,"partitions":{"2":[0,1],"1":[0,1],"0":[0,1]},"adding_replicas":{"2":[1],"1":[1],"0":[1]},"removing_replicas":{}}"#,
    )
    .unwrap();
    assert_eq!(moving.adding_replicas[&1], vec![1]);
    assert!(matches!(
        TopicAssignment::decode(br#"{"version":9,"partitions":{}}"#),
        Err(Error::UnsupportedVersion { version: 9, .. })
    ));
}

#[test]
fn step1_partition_state_and_topic_config() {
    let s = LeaderIsrAndControllerEpoch {
        leader: 1,
        leader_epoch: 0,
        isr: vec![1, 2],
        controller_epoch: 1,
    };
    let json = text(s.encode());
    assert_eq!(
        json,
        r#"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2]}"#
    );
    assert_eq!(
        LeaderIsrAndControllerEpoch::decode(json.as_bytes()).unwrap(),
        s
    );
    let kafka =
        br#"{"controller_epoch":1,"leader":203,"version":1,"leader_epoch":0,"isr":[203,204,202]}"#;
    assert_eq!(
        LeaderIsrAndControllerEpoch::decode(kafka).unwrap().isr,
        vec![203, 204, 202]
    );
    assert!(matches!(
        LeaderIsrAndControllerEpoch::decode(
            br#"{"controller_epoch":1,"leader":1,"version":2,"leader_epoch":0,"isr":[]}"#
        ),
        Err(Error::UnsupportedVersion { version: 2, .. })
    ));
    assert!(matches!(
        LeaderIsrAndControllerEpoch::decode(b"{"),
        Err(Error::BadZnodeData { .. })
    ));

    let c = TopicConfig {
        config: BTreeMap::from([("cleanup.policy".to_string(), "compact".to_string())]),
    };
    let json = text(c.encode());
    assert_eq!(
        json,
        r#"{"version":1,"config":{"cleanup.policy":"compact"}}"#
    );
    assert_eq!(TopicConfig::decode(json.as_bytes()).unwrap(), c);
}

#[test]
fn step1_paths_are_kafkas() {
    // Given code, checked with a step-1 function so the test belongs to step 1.
    let root = ZkConnect::parse("z:2181").unwrap();
    assert_eq!(
        root.path(&paths::partition_state("orders", 3)),
        "/brokers/topics/orders/partitions/3/state"
    );
    assert_eq!(
        root.path(&paths::topic_partitions("orders")),
        "/brokers/topics/orders/partitions"
    );
    assert_eq!(
        root.path(&paths::delete_topic("orders")),
        "/admin/delete_topics/orders"
    );
    assert_eq!(
        root.path(&paths::config_topic("orders")),
        "/config/topics/orders"
    );
    assert_eq!(root.path(paths::CLUSTER_ID), "/cluster/id");
    assert_eq!(root.path(paths::CONTROLLER_EPOCH), "/controller_epoch");
}
