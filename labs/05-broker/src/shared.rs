//! What every connection task shares: the broker behind a lock, and a signal that fires on
//! every change a waiting request may wait for.

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::Notify;

use crate::broker::Broker;

pub struct Shared {
    /// A `std::sync::Mutex`, not tokio's: nothing async happens while it is held, and each
    /// request holds it only for its own log work.
    broker: Mutex<Broker>,
    /// Notified after each append (and, in lab 12, whenever a high watermark moves), so
    /// fetches waiting for `min_bytes` and acks=−1 produces waiting for the ISR look again.
    pub appended: Notify,
}

impl Shared {
    pub fn new(broker: Broker) -> Arc<Shared> {
        Arc::new(Shared {
            broker: Mutex::new(broker),
            appended: Notify::new(),
        })
    }

    /// The broker. A panic while it was held poisons the lock; the state is still usable
    /// (every change is a whole append), so carry on rather than stop serving everyone.
    pub fn broker(&self) -> MutexGuard<'_, Broker> {
        self.broker.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The wall clock in milliseconds, defined once for every lab (lab-common).
pub use lab_common::now_ms;
