//! Metadata: this broker, and for each requested topic its partitions with their leader,
//! leader epoch, replicas and in-sync replicas — read from each [`Partition`]'s replica state,
//! so the answer is right once lab 12 adds followers.

use std::sync::Arc;

use lab04_protocol_codec::metadata::AUTHORIZED_OPERATIONS_OMITTED;
use lab04_protocol_codec::{
    ErrorCode, MetadataBroker, MetadataPartition, MetadataRequest, MetadataResponse, MetadataTopic,
};

use crate::broker::{valid_topic_name, Broker, CLUSTER_ID};
use crate::error::Result;
use crate::partition::Partition;
use crate::router::{Handled, RequestContext};
use crate::shared::{now_ms, Shared};

fn metadata_partition(p: &Partition) -> MetadataPartition {
    let state = p.state();
    MetadataPartition {
        error_code: ErrorCode::None,
        partition_index: p.index(),
        leader_id: state.leader_id,
        leader_epoch: state.leader_epoch,
        replica_nodes: state.replicas.clone(),
        isr_nodes: state.isr.clone(),
        offline_replicas: vec![],
    }
}

impl Broker {
    fn metadata_topic(&self, name: &str) -> MetadataTopic {
        let (error_code, partitions) = match self.logs().partitions(name) {
            Some(partitions) => (
                ErrorCode::None,
                partitions.values().map(metadata_partition).collect(),
            ),
            None if valid_topic_name(name) => (ErrorCode::UnknownTopicOrPartition, vec![]),
            None => (ErrorCode::InvalidTopicException, vec![]),
        };
        MetadataTopic {
            error_code,
            name: name.to_string(),
            is_internal: false,
            partitions,
            topic_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
        }
    }

    /// Metadata: this broker, and the requested topics (all of them for `None`). A requested
    /// topic that does not exist is created first when the client allows it and
    /// `auto.create.topics.enable` is on — how `kcat -P -t new-topic` just works.
    pub fn metadata(&mut self, request: &MetadataRequest, now_ms: i64) -> Result<MetadataResponse> {
        // BEGIN SOLUTION step 2: auto-create the missing requested topics if allowed, then describe this broker and each topic
        // ko: 허용되면 요청에 있지만 없는 토픽을 자동으로 만들고, 이 브로커와 각 토픽을 설명하기
        let names = match &request.topics {
            None => self.topic_names(),
            Some(names) => names.clone(),
        };
        if request.allow_auto_topic_creation && self.config().auto_create_topics {
            for name in &names {
                if self.partition_count(name).is_none() && valid_topic_name(name) {
                    self.create_topic(name, self.config().num_partitions as i32, now_ms)?;
                }
            }
        }
        let config = self.config();
        Ok(MetadataResponse {
            throttle_time_ms: 0,
            brokers: vec![MetadataBroker {
                node_id: config.broker_id,
                host: config.advertised_host.clone(),
                port: i32::from(config.advertised_port),
                rack: None,
            }],
            cluster_id: Some(CLUSTER_ID.to_string()),
            controller_id: config.broker_id,
            topics: names.iter().map(|n| self.metadata_topic(n)).collect(),
            cluster_authorized_operations: AUTHORIZED_OPERATIONS_OMITTED,
        })
        // END SOLUTION
    }
}

pub async fn handle(
    shared: Arc<Shared>,
    _ctx: RequestContext,
    request: MetadataRequest,
) -> Handled<MetadataResponse> {
    let mut broker = shared.broker();
    let mut response = broker.metadata(&request, now_ms())?;
    // The client is told the address of the listener it came in on (several listeners).
    let (host, port) = broker.config().advertised_here();
    let id = broker.config().broker_id;
    for b in response.brokers.iter_mut().filter(|b| b.node_id == id) {
        (b.host, b.port) = (host.clone(), i32::from(port));
    }
    Ok(Some(response))
}
