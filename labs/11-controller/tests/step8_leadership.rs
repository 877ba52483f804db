//! Step 8: after a LeaderAndIsr, the coordinators that live on internal topics hear which
//! partitions this broker now leads (at which leader epoch) and which it follows — Kafka's
//! `onLeadershipChange` callback of `ReplicaManager.becomeLeaderOrFollower`, through which the
//! group coordinator loads `__consumer_offsets` partitions and the transaction coordinator
//! `__transaction_state` ones. A partition the request does not name this broker a replica
//! of, or whose state was refused, tells nobody anything.

use std::sync::{Arc, Mutex};

use lab11_controller::leadership::{LeadershipListener, LeadershipListeners};
use lab11_controller::requests::{
    LeaderAndIsrPartitionError, LeaderAndIsrPartitionState, LeaderAndIsrRequest,
    LeaderAndIsrResponse, LeaderAndIsrTopicState,
};
use lab11_controller::TopicPartition;

#[derive(Default)]
struct Heard(Mutex<Vec<String>>);

impl LeadershipListener for Heard {
    fn on_election(&self, tp: &TopicPartition, leader_epoch: i32) {
        self.0
            .lock()
            .unwrap()
            .push(format!("lead {tp} at {leader_epoch}"));
    }
    fn on_resignation(&self, tp: &TopicPartition) {
        self.0.lock().unwrap().push(format!("follow {tp}"));
    }
}

fn state(p: i32, leader: i32, leader_epoch: i32, replicas: &[i32]) -> LeaderAndIsrPartitionState {
    LeaderAndIsrPartitionState {
        partition_index: p,
        controller_epoch: 1,
        leader,
        leader_epoch,
        isr: replicas.to_vec(),
        zk_version: 0,
        replicas: replicas.to_vec(),
        adding_replicas: Vec::new(),
        removing_replicas: Vec::new(),
        is_new: false,
    }
}

#[test]
fn step8_listeners_hear_the_partitions_this_broker_now_leads_or_follows() {
    let topic = "__consumer_offsets";
    let request = LeaderAndIsrRequest {
        controller_id: 3,
        controller_epoch: 1,
        broker_epoch: 10,
        topic_states: vec![LeaderAndIsrTopicState {
            topic_name: topic.to_string(),
            partition_states: vec![
                state(0, 1, 4, &[1, 2]), // led here at epoch 4
                state(1, 2, 7, &[2, 1]), // followed here
                state(2, 2, 1, &[2, 3]), // not a replica here
                state(3, 1, 9, &[1, 3]), // refused below (an older epoch)
            ],
        }],
        live_leaders: Vec::new(),
    };
    let error = |p, error_code| LeaderAndIsrPartitionError {
        topic_name: topic.to_string(),
        partition_index: p,
        error_code,
    };
    let response = LeaderAndIsrResponse {
        error_code: 0,
        partition_errors: vec![error(0, 0), error(1, 0), error(2, 0), error(3, 11)],
    };

    let listeners = LeadershipListeners::default();
    let heard = Arc::new(Heard::default());
    let listener: Arc<dyn LeadershipListener> = heard.clone();
    listeners.add(Arc::downgrade(&listener));
    listeners.notify(1, &request, &response);
    assert_eq!(
        *heard.0.lock().unwrap(),
        [
            "lead __consumer_offsets-0 at 4",
            "follow __consumer_offsets-1"
        ]
    );

    // A request refused as a whole changes nothing; a listener that is gone is skipped.
    let refused = LeaderAndIsrResponse {
        error_code: 11,
        partition_errors: Vec::new(),
    };
    listeners.notify(1, &request, &refused);
    assert_eq!(heard.0.lock().unwrap().len(), 2);
    drop(listener);
    drop(heard);
    listeners.notify(1, &request, &response);
}
