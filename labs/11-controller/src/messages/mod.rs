//! The controller's three APIs on the wire, one file per API, each of lab 04's shape: the
//! API's `SPEC`, the request's `decode` and the response's `encode` (what a broker needs, and
//! what the learner writes), plus the request's `encode` and the response's `decode` (what the
//! controller needs, given). Every version Kafka 2.6 has is read into, and written from, the
//! newest version's typed values in `requests.rs`: fields an older version lacks take Kafka's
//! defaults (`BrokerEpoch` −1, empty `AddingReplicas`, `IsNew` false, `LeaderEpoch` −1).
//!
//! - `leader_and_isr` — LeaderAndIsr (key 4, v0–4, flexible from v4)
//! - `stop_replica` — StopReplica (key 5, v0–3, flexible from v2)
//! - `update_metadata` — UpdateMetadata (key 6, v0–6, flexible from v6)

pub mod leader_and_isr;
pub mod stop_replica;
pub mod update_metadata;

use lab04_protocol_codec::{ApiSpec, Decoder, Encoder, Result};

/// The three specs, in key order, for a broker's `ApiRegistry` and a controller's headers.
pub const CONTROLLER_APIS: [ApiSpec; 3] = [
    leader_and_isr::SPEC,
    stop_replica::SPEC,
    update_metadata::SPEC,
];

/// An array of structs: its count, then each element and, when flexible, its (skipped) tag
/// section. A null array reads as empty.
pub(crate) fn read_structs<T>(
    d: &mut Decoder<'_>,
    flexible: bool,
    mut read: impl FnMut(&mut Decoder<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let n = d.array_len(flexible)?.unwrap_or(0);
    let mut items = Vec::with_capacity(n);
    for _ in 0..n {
        items.push(read(d)?);
        if flexible {
            d.skip_tagged_fields()?;
        }
    }
    Ok(items)
}

/// An array of structs, each followed by an empty tag section when flexible.
pub(crate) fn write_structs<T>(
    e: &mut Encoder,
    items: &[T],
    flexible: bool,
    mut write: impl FnMut(&mut Encoder, &T),
) {
    e.array_len(Some(items.len()), flexible);
    for item in items {
        write(e, item);
        e.no_tagged_fields(flexible);
    }
}

/// `[]int32`: plain numbers carry no tag sections. A null array reads as empty.
pub(crate) fn read_int32s(d: &mut Decoder<'_>, flexible: bool) -> Result<Vec<i32>> {
    let n = d.array_len(flexible)?.unwrap_or(0);
    (0..n).map(|_| d.i32()).collect()
}

pub(crate) fn write_int32s(e: &mut Encoder, values: &[i32], flexible: bool) {
    e.array_len(Some(values.len()), flexible);
    for v in values {
        e.i32(*v);
    }
}

/// The opposite of [`group_by_topic`], for the writer of an old version: every partition of
/// every topic, in order, with its topic's name beside it.
pub(crate) fn ungroup<'a, T, P>(
    topics: &'a [T],
    topic_name: impl Fn(&'a T) -> &'a str,
    partitions: impl Fn(&'a T) -> &'a [P],
) -> Vec<(&'a str, &'a P)> {
    topics
        .iter()
        .flat_map(|t| {
            let name = topic_name(t);
            partitions(t).iter().map(move |p| (name, p))
        })
        .collect()
}

/// Groups `(topic, item)` pairs by topic, keeping the order in which topics first appear: how
/// v0/v1 messages, which name the topic in every partition, become v2+'s per-topic lists.
pub(crate) fn group_by_topic<T>(items: Vec<(String, T)>) -> Vec<(String, Vec<T>)> {
    let mut grouped: Vec<(String, Vec<T>)> = Vec::new();
    for (topic, item) in items {
        match grouped.iter_mut().find(|(t, _)| *t == topic) {
            Some((_, list)) => list.push(item),
            None => grouped.push((topic, vec![item])),
        }
    }
    grouped
}
