//! The ten consumer-group APIs, broker side, one file per API, each of the same shape as lab
//! 04's, 05's and 06's: the API's `SPEC`, the request's `decode`, `handle` (what the broker
//! does, through the coordinator and the group metadata manager) and the response's `encode`.
//! Only the classic (non-flexible) versions; every client here negotiates down to them.
//!
//! - `find_coordinator` — which broker runs a group (FindCoordinator, key 10, v0–2)
//! - `join_group` — join or rejoin (JoinGroup, key 11, v0–5)
//! - `sync_group` — the leader's assignment (SyncGroup, key 14, v0–3)
//! - `heartbeat` — still alive (Heartbeat, key 12, v0–3)
//! - `leave_group` — leave now (LeaveGroup, key 13, v0–3)
//! - `offset_commit` — store progress (OffsetCommit, key 8, v2–7)
//! - `offset_fetch` — read progress (OffsetFetch, key 9, v1–5)
//! - `describe_groups` — members and state (DescribeGroups, key 15, v0–4)
//! - `list_groups` — every group (ListGroups, key 16, v0–2)
//! - `delete_groups` — remove groups and their offsets (DeleteGroups, key 42, v0–1)

pub mod delete_groups;
pub mod describe_groups;
pub mod find_coordinator;
pub mod heartbeat;
pub mod join_group;
pub mod leave_group;
pub mod list_groups;
pub mod offset_commit;
pub mod offset_fetch;
pub mod sync_group;

use lab04_protocol_codec::{Decoder, Result};

/// A classic array of `read` elements (null reads as empty).
pub(crate) fn array<T>(
    d: &mut Decoder<'_>,
    read: impl FnMut(&mut Decoder<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    lab06_topics::wire::read_array(d, false, read)
}

/// Non-null classic bytes.
pub(crate) fn bytes(d: &mut Decoder<'_>) -> Result<Vec<u8>> {
    Ok(d.nullable_bytes(false)?
        .map(<[u8]>::to_vec)
        .unwrap_or_default())
}
