//! What the simulation checks, from the partitions' logs and the clients' answers alone.
//!
//! - **never half**: after the quiet end, every transactional batch is followed on its
//!   partition by a marker of its producer;
//! - **never mixed**: all batches of one transaction (tagged by the client) are closed by
//!   markers of the same kind, on every partition;
//! - **fencing**: a batch closed by a commit has the commit's epoch — a zombie's batch (an
//!   older epoch) is never committed;
//! - **answers hold**: an EndTxn answered NONE ends the way it asked.

use std::collections::BTreeMap;

/// One entry of a simulated partition's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Data {
        producer_id: i64,
        epoch: i16,
        txn: u64,
    },
    Marker {
        producer_id: i64,
        epoch: i16,
        commit: bool,
        coordinator_epoch: i32,
    },
}

/// How each transaction's batches were closed: (commit, marker epoch, batch epoch).
pub type Closures = BTreeMap<u64, Vec<(bool, i16, i16)>>;

pub fn check(
    logs: &BTreeMap<(String, i32), Vec<Entry>>,
    answered: &BTreeMap<u64, bool>,
) -> Closures {
    let mut closures: Closures = BTreeMap::new();
    for (tp, log) in logs {
        let mut open: BTreeMap<i64, Vec<(u64, i16)>> = BTreeMap::new();
        for e in log {
            match e {
                Entry::Data {
                    producer_id,
                    epoch,
                    txn,
                } => open.entry(*producer_id).or_default().push((*txn, *epoch)),
                Entry::Marker {
                    producer_id,
                    epoch,
                    commit,
                    ..
                } => {
                    for (txn, data_epoch) in open.remove(producer_id).unwrap_or_default() {
                        closures
                            .entry(txn)
                            .or_default()
                            .push((*commit, *epoch, data_epoch));
                    }
                }
            }
        }
        let half: Vec<_> = open.values().flatten().collect();
        assert!(
            half.is_empty(),
            "partition {tp:?}: batches of transactions never ended: {half:?}"
        );
    }
    for (txn, cs) in &closures {
        assert!(
            cs.iter().all(|c| c.0 == cs[0].0),
            "transaction {txn} is half committed, half aborted: {cs:?}"
        );
        for (commit, marker_epoch, data_epoch) in cs {
            assert!(!commit || marker_epoch == data_epoch, "transaction {txn}: a batch of epoch {data_epoch} committed at epoch {marker_epoch} (a zombie's write)");
        }
        if let Some(commit) = answered.get(txn) {
            assert_eq!(cs[0].0, *commit, "transaction {txn}: EndTxn was answered NONE for commit={commit}, markers say otherwise");
        }
    }
    closures
}
