//! Deleting a topic (`TopicDeletionManager`). An admin creates `/admin/delete_topics/<t>`;
//! the controller then, in order:
//!
//! 1. marks the topic *queued for deletion*: no more elections for it, and UpdateMetadata
//!    tells every live broker to forget it (leader `LEADER_DURING_DELETE`, -2);
//! 2. sends StopReplica (delete) to every live replica and waits for each to answer without
//!    error — a replica on a dead broker waits until that broker returns;
//! 3. deletes `/brokers/topics/<t>` (with its partition states), `/config/topics/<t>` and
//!    finally `/admin/delete_topics/<t>`.
//!
//! A request for a topic that does not exist is simply removed.

use std::collections::{BTreeMap, BTreeSet};

use crate::controller::Controller;
use crate::events::ZkOp;
use crate::requests::{
    error_code, ControllerRequest, StopReplicaPartitionState, StopReplicaRequest,
    StopReplicaResponse, StopReplicaTopicState, TopicPartition,
};
use crate::zk_data::{paths, EPOCH_DURING_DELETE};

impl Controller {
    /// The children of `/admin/delete_topics` as they are now.
    pub(crate) fn on_topic_deletions_changed(&mut self, topics: BTreeSet<String>) {
        // BEGIN SOLUTION step 5: drop requests for unknown topics; queue new ones, tell every broker to forget them and stop their live replicas
        // ko: 없는 토픽의 요청은 지우고, 새 요청은 삭제 대기로 올린 뒤 모든 브로커가 잊게 하고 살아 있는 레플리카를 멈추세요
        for topic in topics {
            let partitions: Vec<TopicPartition> = self
                .assignments
                .keys()
                .filter(|tp| tp.topic == topic)
                .cloned()
                .collect();
            if partitions.is_empty() {
                self.ready.zk_ops.push(ZkOp::DeleteRecursive {
                    path: paths::delete_topic(&topic),
                    controller_epoch_zk_version: self.epoch_zk_version,
                });
                continue;
            }
            if !self.topics_to_delete.insert(topic.clone()) {
                continue;
            }
            let pending: BTreeSet<(i32, i32)> = partitions
                .iter()
                .flat_map(|tp| self.assignments[tp].iter().map(|b| (*b, tp.partition)))
                .collect();
            self.deletion_pending.insert(topic.clone(), pending);
            let live = self.live_broker_ids();
            self.send_update_metadata(&live, &partitions);
            for broker in live {
                self.send_stop_replica(broker, &topic);
            }
            self.maybe_complete_deletion(&topic);
        }
        // END SOLUTION
    }

    /// Brokers came back: send StopReplica for the replicas they still owe an answer for.
    pub(crate) fn resume_deletions_on(&mut self, brokers: &BTreeSet<i32>) {
        // BEGIN SOLUTION step 5: for each topic being deleted and each returning broker, send its StopReplica
        // ko: 삭제 중인 토픽마다, 돌아온 브로커마다 StopReplica를 보내세요
        let topics: Vec<String> = self.deletion_pending.keys().cloned().collect();
        for topic in topics {
            for &broker in brokers {
                self.send_stop_replica(broker, &topic);
            }
        }
        // END SOLUTION
    }

    /// One StopReplica (delete, leader epoch `EPOCH_DURING_DELETE`) to a live `broker` for the
    /// partitions of `topic` it has not yet confirmed; nothing if there are none.
    pub(crate) fn send_stop_replica(&mut self, broker: i32, topic: &str) {
        // BEGIN SOLUTION step 5: collect the pending partitions of this broker and send one StopReplica with delete set
        // ko: 이 브로커의 대기 중인 파티션을 모아 delete를 켠 StopReplica 하나를 보내세요
        let Some(registered) = self.live_brokers.get(&broker) else {
            return;
        };
        let Some(pending) = self.deletion_pending.get(topic) else {
            return;
        };
        let partition_states: Vec<StopReplicaPartitionState> = pending
            .iter()
            .filter(|(b, _)| *b == broker)
            .map(|(_, p)| StopReplicaPartitionState {
                partition_index: *p,
                leader_epoch: EPOCH_DURING_DELETE,
                delete_partition: true,
            })
            .collect();
        if partition_states.is_empty() {
            return;
        }
        let request = StopReplicaRequest {
            controller_id: self.broker_id,
            controller_epoch: self.epoch,
            broker_epoch: registered.epoch,
            topic_states: vec![StopReplicaTopicState {
                topic_name: topic.to_string(),
                partition_states,
            }],
        };
        self.ready.requests.push(crate::events::BrokerRequest {
            broker_id: broker,
            request: ControllerRequest::StopReplica(request),
        });
        // END SOLUTION
    }

    /// A StopReplica answer: every partition answered without error is done on that broker.
    pub(crate) fn on_stop_replica_response(&mut self, broker: i32, response: StopReplicaResponse) {
        // BEGIN SOLUTION step 5: ignore a top-level error; strike each error-free partition off its topic's pending set and complete finished topics
        // ko: 최상위 오류면 무시하세요. 오류 없는 파티션을 그 토픽의 대기 목록에서 지우고 끝난 토픽의 삭제를 마무리하세요
        if response.error_code != error_code::NONE {
            return;
        }
        let mut touched: BTreeMap<String, ()> = BTreeMap::new();
        for e in response.partition_errors {
            if e.error_code != error_code::NONE {
                continue;
            }
            if let Some(pending) = self.deletion_pending.get_mut(&e.topic_name) {
                pending.remove(&(broker, e.partition_index));
                touched.insert(e.topic_name, ());
            }
        }
        for topic in touched.keys() {
            self.maybe_complete_deletion(topic);
        }
        // END SOLUTION
    }

    /// When no replica of `topic` owes an answer: delete its znodes, then the request, and
    /// forget the topic.
    fn maybe_complete_deletion(&mut self, topic: &str) {
        // BEGIN SOLUTION step 5: if nothing is pending, delete the topic znode, its config and the deletion request, and forget the topic
        // ko: 대기 중인 것이 없으면 토픽 지노드, 그 설정, 삭제 요청을 지우고 토픽을 잊으세요
        if self
            .deletion_pending
            .get(topic)
            .is_none_or(|p| !p.is_empty())
        {
            return;
        }
        for path in [
            paths::topic(topic),
            paths::config_topic(topic),
            paths::delete_topic(topic),
        ] {
            self.ready.zk_ops.push(ZkOp::DeleteRecursive {
                path,
                controller_epoch_zk_version: self.epoch_zk_version,
            });
        }
        self.deletion_pending.remove(topic);
        self.topics_to_delete.remove(topic);
        self.assignments.retain(|tp, _| tp.topic != topic);
        self.partition_states.retain(|tp, _| tp.topic != topic);
        // END SOLUTION
    }
}
