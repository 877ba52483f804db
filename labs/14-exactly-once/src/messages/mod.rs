//! Step 2: the codecs of the transactional APIs, in lab 04's shape (one file per API with its
//! [`ApiSpec`](lab04_protocol_codec::ApiSpec), decode the request, encode the response), at the
//! versions Kafka 2.6 speaks. A broker registers [`TXN_APIS`] in its `ApiRegistry`; lab 14's
//! InitProducerId (v0–v3) replaces lab 04's (v0–v1) there.
//!
//! FindCoordinator needs no new codec: lab 07's reads `key_type` (v1+), and key type 1 asks
//! for the transaction coordinator of a `transactional.id`
//! (see `transaction_log::partition_for`).

pub mod add_offsets_to_txn;
pub mod add_partitions_to_txn;
pub mod end_txn;
pub mod init_producer_id;
pub mod txn_offset_commit;
pub mod write_txn_markers;

use lab04_protocol_codec::ApiSpec;

/// The APIs of this lab, for a broker's `ApiRegistry`.
pub const TXN_APIS: [ApiSpec; 6] = [
    init_producer_id::SPEC,
    add_partitions_to_txn::SPEC,
    add_offsets_to_txn::SPEC,
    end_txn::SPEC,
    write_txn_markers::SPEC,
    txn_offset_commit::SPEC,
];

/// The classic (int32) array count of a response, then each element.
pub(crate) fn write_array<T>(
    e: &mut lab04_protocol_codec::Encoder,
    items: &[T],
    flexible: bool,
    mut write: impl FnMut(&mut lab04_protocol_codec::Encoder, &T),
) {
    e.array_len(Some(items.len()), flexible);
    for item in items {
        write(e, item);
    }
}

/// An array in the classic or compact form; a null array reads as empty.
pub(crate) fn read_array<T>(
    d: &mut lab04_protocol_codec::Decoder<'_>,
    flexible: bool,
    mut read: impl FnMut(&mut lab04_protocol_codec::Decoder<'_>) -> lab04_protocol_codec::Result<T>,
) -> lab04_protocol_codec::Result<Vec<T>> {
    let n = d.array_len(flexible)?.unwrap_or(0);
    (0..n).map(|_| read(d)).collect()
}
