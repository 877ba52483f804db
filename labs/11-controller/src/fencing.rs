//! How a broker tells the current controller from a deposed one (`ReplicaManager`'s checks,
//! `KafkaApis.isBrokerEpochStale`, KIP-380).
//!
//! A controller that lost its ZooKeeper session may not know it yet: requests it sent, or is
//! still sending, can arrive after the new controller's. Every request carries the sender's
//! controller epoch; a broker remembers the highest it has accepted and refuses anything
//! older with `STALE_CONTROLLER_EPOCH`. Requests also carry the receiver's broker epoch (the
//! czxid of its registration): one addressed to an earlier registration of this broker gets
//! `STALE_BROKER_EPOCH` — it describes a world the broker has since rejoined.

use crate::requests::error_code;

/// `None` when a request with `request_epoch` may be applied by a broker that has accepted
/// `known_epoch` so far; `Some(STALE_CONTROLLER_EPOCH)` when it is older. The same epoch is
/// fine: one controller sends many requests.
pub fn check_controller_epoch(known_epoch: i32, request_epoch: i32) -> Option<i16> {
    // BEGIN SOLUTION step 5: stale only when the request's epoch is below the known one
    // ko: 요청의 에포크가 아는 것보다 작을 때만 오래된 것입니다
    (request_epoch < known_epoch).then_some(error_code::STALE_CONTROLLER_EPOCH)
    // END SOLUTION
}

/// Kafka's `isBrokerEpochStale`: -1 (a request that carries none) is never stale; otherwise
/// an epoch below the broker's current one is.
pub fn is_broker_epoch_stale(current_epoch: i64, request_epoch: i64) -> bool {
    // BEGIN SOLUTION step 5: -1 is never stale, below the current epoch is
    // ko: -1은 오래된 것이 아니고, 현재 에포크보다 작으면 오래된 것입니다
    request_epoch != -1 && request_epoch < current_epoch
    // END SOLUTION
}

/// Both checks, broker epoch first as in `KafkaApis`: the error code to answer with, if any.
pub fn check_request(
    known_controller_epoch: i32,
    current_broker_epoch: i64,
    request_controller_epoch: i32,
    request_broker_epoch: i64,
) -> Option<i16> {
    if is_broker_epoch_stale(current_broker_epoch, request_broker_epoch) {
        return Some(error_code::STALE_BROKER_EPOCH);
    }
    check_controller_epoch(known_controller_epoch, request_controller_epoch)
}
