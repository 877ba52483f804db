//! Step 8: CreateTopics and DeleteTopics in a cluster (Kafka 2.6's `AdminManager`): the broker
//! writes the topic's replica assignment to ZooKeeper — step 2's assignment over the live
//! brokers the cache knows — and waits, at most the request's timeout, for the controller's
//! UpdateMetadata to show a leader for every partition.

mod in_cluster;

use std::collections::BTreeMap;

use in_cluster::*;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::{
    CreateTopicsRequest, CreateTopicsResponse, DeleteTopicsRequest, MetadataRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;
use lab11_controller::{assign_replicas_to_brokers, AssignmentStart};

fn name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_string()))
}

fn create(topic: &str, partitions: i32, rf: i16, timeout_ms: i32) -> CreateTopicsRequest {
    CreateTopicsRequest::default()
        .with_timeout_ms(timeout_ms)
        .with_topics(vec![CreatableTopic::default()
            .with_name(name(topic))
            .with_num_partitions(partitions)
            .with_replication_factor(rf)])
}

/// (error code, message) of the one topic of a CreateTopics answer.
fn outcome(answer: &CreateTopicsResponse) -> (i16, Option<String>) {
    let t = &answer.topics[0];
    (
        t.error_code,
        t.error_message.as_ref().map(|m| m.to_string()),
    )
}

/// Kafka's assignment from some random start: the one of the `n` starts it matches.
fn matches_some_start(assignment: &BTreeMap<i32, Vec<i32>>, partitions: i32, rf: i32) -> bool {
    (0..3).any(|start| {
        (0..3).any(|shift| {
            let start = AssignmentStart {
                start_index: start,
                replica_shift: shift,
            };
            assign_replicas_to_brokers(&[1, 2, 3], partitions, rf, start, 0).as_ref()
                == Ok(assignment)
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step8_create_topics_writes_an_assignment_over_the_live_brokers() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), FakeZk::default()).await;
    let mut c = node.client().await;

    // Before the controller's first UpdateMetadata no broker is known: auto-creation cannot
    // place a replica (INVALID_REPLICATION_FACTOR), and no log appears on this broker.
    let early = MetadataRequest::default()
        .with_allow_auto_topic_creation(true)
        .with_topics(Some(vec![
            kafka_protocol::messages::metadata_request::MetadataRequestTopic::default()
                .with_name(Some(name("early"))),
        ]));
    assert_eq!(c.call(&early).await.unwrap().topics[0].error_code, 38);
    assert_eq!(node.shared.broker().partition_count("early"), None);
    assert_eq!(update_metadata(&node.addr, node.port, &[]).await, 0);

    // timeout 0: written, answered at once (Kafka does not wait then).
    let answer = c.call(&create("orders", 6, 1, 0)).await.unwrap();
    assert_eq!(outcome(&answer), (0, None));
    let (assignment, _) = node.written("orders").expect("written to ZooKeeper");
    assert!(matches_some_start(&assignment, 6, 1), "{assignment:?}");
    for broker in 1..=3 {
        let led = assignment.values().filter(|r| r[0] == broker).count();
        assert_eq!(led, 2, "two partitions on broker {broker}: {assignment:?}");
    }
    // No log here: logs come with the controller's LeaderAndIsr.
    assert_eq!(node.shared.broker().partition_count("orders"), None);

    // −1 takes num.partitions (6 here) and default.replication.factor (1); settings go along.
    let mut request = create("clicks", -1, -1, 0);
    request.topics[0].configs = vec![CreatableTopicConfig::default()
        .with_name(StrBytes::from_static_str("cleanup.policy"))
        .with_value(Some(StrBytes::from_static_str("compact")))];
    assert_eq!(outcome(&c.call(&request).await.unwrap()).0, 0);
    let (assignment, configs) = node.written("clicks").unwrap();
    assert!(matches_some_start(&assignment, 6, 1), "{assignment:?}");
    assert_eq!(
        configs.get("cleanup.policy").map(String::as_str),
        Some("compact")
    );

    // Three replicas fit three brokers; four do not.
    assert_eq!(
        outcome(&c.call(&create("safe", 2, 3, 0)).await.unwrap()).0,
        0
    );
    assert!(matches_some_start(&node.written("safe").unwrap().0, 2, 3));
    assert_eq!(
        outcome(&c.call(&create("big", 2, 4, 0)).await.unwrap()),
        (
            38,
            Some("Replication factor: 4 larger than available brokers: 3.".into())
        )
    );
    assert_eq!(
        outcome(&c.call(&create("zero", 2, 0, 0)).await.unwrap()),
        (38, Some("Replication factor must be larger than 0.".into()))
    );
    assert_eq!(
        outcome(&c.call(&create("none", 0, 1, 0)).await.unwrap()).0,
        37
    );
    assert_eq!(
        outcome(&c.call(&create("bad/name", 1, 1, 0)).await.unwrap()).0,
        17
    );
    assert!(node.written("big").is_none() && node.written("zero").is_none());

    // validate_only checks without writing; a topic ZooKeeper has is TOPIC_ALREADY_EXISTS.
    let answer = c
        .call(&create("dry", 3, 1, 0).with_validate_only(true))
        .await
        .unwrap();
    assert_eq!(outcome(&answer).0, 0);
    assert!(node.written("dry").is_none());
    assert_eq!(
        outcome(&c.call(&create("orders", 6, 1, 0)).await.unwrap()).0,
        36
    );

    // Metadata with auto-creation writes an unknown topic (num.partitions, one replica) and
    // answers LEADER_NOT_AVAILABLE until the controller's leaders arrive.
    let request = MetadataRequest::default()
        .with_allow_auto_topic_creation(true)
        .with_topics(Some(vec![
            kafka_protocol::messages::metadata_request::MetadataRequestTopic::default()
                .with_name(Some(name("auto"))),
        ]));
    let answer = c.call(&request).await.unwrap();
    assert_eq!(answer.topics[0].error_code, 5, "LEADER_NOT_AVAILABLE");
    assert!(matches_some_start(&node.written("auto").unwrap().0, 6, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step8_create_topics_waits_for_the_leaders_until_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let node = start(dir.path(), FakeZk::default()).await;
    assert_eq!(update_metadata(&node.addr, node.port, &[]).await, 0);

    // Nobody elects leaders for `slow`: REQUEST_TIMED_OUT after 300 ms, though it was written.
    let mut c = node.client().await;
    let answer = c.call(&create("slow", 1, 1, 300)).await.unwrap();
    assert_eq!(outcome(&answer).0, 7);
    assert!(node.written("slow").is_some());

    // The controller's UpdateMetadata arrives while the request waits: NONE.
    let mut c = node.client().await;
    let waiting = tokio::spawn(async move { c.call(&create("fast", 2, 1, 10_000)).await });
    node.wait_written("fast").await;
    let layout: &[(i32, i32, &[i32])] = &[(0, 2, &[2]), (1, 3, &[3])];
    assert_eq!(
        update_metadata(&node.addr, node.port, &[("fast", layout)]).await,
        0
    );
    let answer = waiting.await.unwrap().unwrap();
    assert_eq!(outcome(&answer), (0, None));
    assert_eq!(answer.topics[0].num_partitions, 2);

    // Metadata now shows it; DeleteTopics queues the deletion and, with nobody deleting it,
    // times out; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION.
    let metadata = c_metadata(&node).await;
    assert!(metadata.contains(&("fast".to_string(), 0)), "{metadata:?}");
    let mut c = node.client().await;
    let delete = DeleteTopicsRequest::default()
        .with_timeout_ms(200)
        .with_topic_names(vec![name("fast"), name("ghost")]);
    let answer = c.call(&delete).await.unwrap();
    let codes: Vec<i16> = answer.responses.iter().map(|r| r.error_code).collect();
    assert_eq!(codes, [7, 3]);
    assert_eq!(node.zk.lock().unwrap().deletions, ["fast"]);
}

/// (topic, error code) of every topic Metadata lists.
async fn c_metadata(node: &Node) -> Vec<(String, i16)> {
    let mut c = node.client().await;
    let answer = c
        .call(&MetadataRequest::default().with_topics(None))
        .await
        .unwrap();
    answer
        .topics
        .iter()
        .map(|t| (t.name.as_ref().unwrap().to_string(), t.error_code))
        .collect()
}
