//! Lab 13's APIs on the wire, one file per API, each of lab 04's shape: the API's `SPEC`, the
//! request's `decode` and the response's `encode` (what the broker — or the controller —
//! answering needs, and what the learner writes), plus the request's `encode` and the
//! response's `decode` (what the asker needs, given). Every version Kafka 2.6 has.
//!
//! - `offsets_for_leader_epoch` — OffsetForLeaderEpoch (key 23, v0–3, never flexible), step 2
//! - `controlled_shutdown` — ControlledShutdown (key 7, v0–3, flexible from v3), step 4
//! - `elect_leaders` — ElectLeaders (key 43, v0–2, flexible from v2), step 4

pub mod controlled_shutdown;
pub mod elect_leaders;
pub mod offsets_for_leader_epoch;

use lab04_protocol_codec::{ApiSpec, Decoder, Encoder, Result};

/// The three specs, in key order, for an `ApiRegistry`.
pub const FAILOVER_APIS: [ApiSpec; 3] = [
    controlled_shutdown::SPEC,
    offsets_for_leader_epoch::SPEC,
    elect_leaders::SPEC,
];

/// An array of structs: its count, then each element and, when flexible, its (skipped) tag
/// section. `None` for a null array.
pub(crate) fn read_structs<T>(
    d: &mut Decoder<'_>,
    flexible: bool,
    mut read: impl FnMut(&mut Decoder<'_>) -> Result<T>,
) -> Result<Option<Vec<T>>> {
    let Some(n) = d.array_len(flexible)? else {
        return Ok(None);
    };
    let mut items = Vec::with_capacity(n.min(1024));
    for _ in 0..n {
        items.push(read(d)?);
        if flexible {
            d.skip_tagged_fields()?;
        }
    }
    Ok(Some(items))
}

/// An array of structs (`None`: null), each followed by an empty tag section when flexible.
pub(crate) fn write_structs<T>(
    e: &mut Encoder,
    items: Option<&[T]>,
    flexible: bool,
    mut write: impl FnMut(&mut Encoder, &T),
) {
    e.array_len(items.map(<[T]>::len), flexible);
    for item in items.unwrap_or(&[]) {
        write(e, item);
        e.no_tagged_fields(flexible);
    }
}
