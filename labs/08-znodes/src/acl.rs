//! Access control — ZooKeeper's ACLs: who may do what to a znode.
//!
//! Every znode carries a list of ACL entries `scheme:id:perms`. A request is allowed when one
//! entry grants the permission it needs to one of the *ids* of the connection that sent it.
//! A connection starts with one id, `ip:<its address>`, and gains more with the auth packet
//! (`addauth digest alice:secret` in zkCli.sh, `add_auth` in kazoo).
//!
//! ```text
//! perms:  READ 1 (r) | WRITE 2 (w) | CREATE 4 (c) | DELETE 8 (d) | ADMIN 16 (a); ALL 31
//! world:anyone          everybody
//! digest:user:<base64>  connections that sent `digest user:password` with that hash
//! ip:10.0.0.0/8         connections from that address or network (CIDR)
//! auth:                 only in a create/setACL: "the digest ids of the connection asking"
//! ```
//! Which permission an operation needs (ZooKeeper 3.8's `PrepRequestProcessor` for writes,
//! `FinalRequestProcessor` for reads): create CREATE on the parent, delete DELETE on the parent,
//! setData WRITE, setACL ADMIN, getData/getChildren/getAllChildrenNumber and a multi's check
//! READ, getACL READ or ADMIN (without ADMIN the digest hashes come back as `user:x`), exists
//! and sync none. A refusal is NOAUTH; a list that cannot be stored is INVALIDACL.

use std::net::IpAddr;

use base64::Engine;
use sha1::{Digest, Sha1};

use crate::code::Code;
use crate::data_tree::{parent_of, validate_path, CreateMode, DataTree};
use crate::proto::Op;
use crate::stat::Acl;

/// The permission bits (`ZooDefs.Perms`).
pub mod perms {
    pub const READ: i32 = 1;
    pub const WRITE: i32 = 2;
    pub const CREATE: i32 = 4;
    pub const DELETE: i32 = 8;
    pub const ADMIN: i32 = 16;
    pub const ALL: i32 = 31;
}

/// One identity of a connection (`org.apache.zookeeper.data.Id`), e.g. `ip:127.0.0.1` or
/// `digest:alice:<base64>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Id {
    pub scheme: String,
    pub id: String,
}

impl Id {
    pub fn new(scheme: &str, id: &str) -> Id {
        Id {
            scheme: scheme.into(),
            id: id.into(),
        }
    }
}

/// The id a `digest` auth packet with `user:password` gives — exactly
/// `DigestAuthenticationProvider.generateDigest`: the user, a colon, then the base64 of the
/// SHA-1 of the whole `user:password` string. This is also the id to put in an ACL:
/// `digest:alice:<that base64>:cdrwa`. The server never stores the password.
pub fn digest(user_password: &str) -> String {
    // BEGIN SOLUTION step 7: the user (the text before the first ':'), a ':', then the standard base64 of SHA-1 over the whole `user:password`
    // ko: 사용자(첫 ':' 앞의 글자), ':', 그리고 `user:password` 전체의 SHA-1을 표준 base64로 쓴 것
    let user = user_password.split(':').next().unwrap_or_default();
    let hash = Sha1::digest(user_password.as_bytes());
    format!(
        "{user}:{}",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
    // END SOLUTION
}

/// What an auth packet of `scheme` adds to its connection's ids (`handleAuthentication`), or
/// `None` for AUTHFAILED: ZooKeeper answers an unknown scheme that way, then closes the
/// connection. `digest` takes any bytes (a password without `user:` only makes an id nobody's
/// ACL names); `ip` adds the connection's address whatever the bytes say. `super_digest` is
/// `zookeeper.DigestAuthenticationProvider.superDigest`: a connection whose digest equals it is
/// also `super`, which passes every check.
pub fn authenticate(
    scheme: &str,
    auth: &[u8],
    peer: Option<IpAddr>,
    super_digest: Option<&str>,
) -> Option<Vec<Id>> {
    match scheme {
        "digest" => {
            let id = digest(&String::from_utf8_lossy(auth));
            let mut ids = Vec::new();
            if super_digest == Some(id.as_str()) {
                ids.push(Id::new("super", ""));
            }
            ids.push(Id::new("digest", &id));
            Some(ids)
        }
        "ip" => peer.map(|p| vec![Id::new("ip", &p.to_string())]),
        _ => None,
    }
}

/// Whether `acl` grants `perm` to one of `ids` (`ZooKeeperServer.checkACL`): NOAUTH if not.
/// An empty list allows everything; a `super` id passes every check; then the first entry
/// that has the permission and names `world:anyone`, or one of the ids (same scheme, and the
/// scheme's [`matches`]) allows it.
pub fn check_acl(acl: &[Acl], perm: i32, ids: &[Id]) -> Result<(), Code> {
    // BEGIN SOLUTION step 7: allow an empty list or a `super` id; else find an entry with the permission bit for world:anyone or for one of the ids (same scheme, `matches`); else NoAuth
    // ko: 빈 목록이나 `super` id는 허용; 아니면 그 권한 비트를 가진 항목 중 world:anyone이거나 id 하나(같은 scheme, `matches`)를 가리키는 것을 찾는다; 없으면 NoAuth
    if acl.is_empty() || ids.iter().any(|i| i.scheme == "super") {
        return Ok(());
    }
    for entry in acl.iter().filter(|a| a.perms & perm != 0) {
        if entry.scheme == "world" && entry.id == "anyone" {
            return Ok(());
        }
        if ids
            .iter()
            .any(|i| i.scheme == entry.scheme && matches(&entry.scheme, &i.id, &entry.id))
        {
            return Ok(());
        }
    }
    Err(Code::NoAuth)
    // END SOLUTION
}

/// Whether a connection's `id` satisfies an ACL entry's `acl_id` of `scheme`: equal for
/// `digest`, inside the address or network for `ip` (`IPAuthenticationProvider.matches`).
pub fn matches(scheme: &str, id: &str, acl_id: &str) -> bool {
    match scheme {
        "digest" => id == acl_id,
        "ip" => ip_matches(id, acl_id),
        _ => false,
    }
}

/// `10.1.2.3` matches `10.1.2.3`, `10.1.0.0/16` and `0.0.0.0/0`; the bits beyond the prefix
/// are masked off on both sides before comparing.
fn ip_matches(address: &str, expr: &str) -> bool {
    let Some((network, bits)) = parse_ip_expr(expr) else {
        return false;
    };
    let Ok(address) = address.parse::<std::net::Ipv4Addr>().map(IpAddr::V4) else {
        return false;
    };
    let (a, n) = (ip_bytes(address), ip_bytes(network));
    if a.len() != n.len() {
        return false;
    }
    let masked = |bytes: &[u8]| -> Vec<u8> {
        bytes
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let keep = bits.saturating_sub(i * 8).min(8);
                if keep == 0 {
                    0
                } else {
                    b & (0xffu8 << (8 - keep))
                }
            })
            .collect()
    };
    masked(&a) == masked(&n)
}

fn ip_bytes(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// `address[/bits]`, with bits within the address's length. IPv4 only, as ZooKeeper 3.8's
/// `IPAuthenticationProvider` (`v4addr2Bytes`).
fn parse_ip_expr(expr: &str) -> Option<(IpAddr, usize)> {
    let (addr, bits) = match expr.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (expr, None),
    };
    let addr = IpAddr::V4(addr.parse().ok()?);
    let max = ip_bytes(addr).len() * 8;
    let bits = match bits {
        Some(b) => b.parse::<usize>().ok().filter(|b| *b <= max)?,
        None => max,
    };
    Some((addr, bits))
}

/// Whether an ACL entry's id is well formed for its scheme (`isValid`): `user:hash` for
/// digest (exactly one colon, both sides present as Java's `split(":")` sees them), an
/// address or network for ip. Other schemes have no provider here: INVALIDACL.
fn is_valid(scheme: &str, id: &str) -> bool {
    match scheme {
        "digest" => {
            let mut parts: Vec<&str> = id.split(':').collect();
            while parts.last() == Some(&"") {
                parts.pop(); // Java's split drops trailing empty strings
            }
            parts.len() == 2
        }
        "ip" => parse_ip_expr(id).is_some(),
        _ => false,
    }
}

/// The list a create or setACL will store (`PrepRequestProcessor.fixupACL`): duplicates
/// removed; `world:anyone` kept; each `auth` entry replaced by one entry per digest id of the
/// connection (INVALIDACL if it has none: `ip` ids do not count, they are not
/// "authenticated"); any other entry kept if its scheme says it is valid. An empty list is
/// INVALIDACL.
pub fn fixup_acl(acl: &[Acl], ids: &[Id]) -> Result<Vec<Acl>, Code> {
    let mut unique: Vec<&Acl> = Vec::with_capacity(acl.len());
    for entry in acl {
        if !unique.contains(&entry) {
            unique.push(entry);
        }
    }
    if unique.is_empty() {
        return Err(Code::InvalidAcl);
    }
    let mut fixed = Vec::with_capacity(unique.len());
    for entry in unique {
        if entry.scheme == "world" && entry.id == "anyone" {
            fixed.push(entry.clone());
        } else if entry.scheme == "auth" {
            let authenticated: Vec<Acl> = ids
                .iter()
                .filter(|i| i.scheme == "digest")
                .map(|i| Acl {
                    perms: entry.perms,
                    scheme: i.scheme.clone(),
                    id: i.id.clone(),
                })
                .collect();
            if authenticated.is_empty() {
                return Err(Code::InvalidAcl);
            }
            fixed.extend(authenticated);
        } else if is_valid(&entry.scheme, &entry.id) {
            fixed.push(entry.clone());
        } else {
            return Err(Code::InvalidAcl);
        }
    }
    Ok(fixed)
}

/// `check_acl` behind a shortcut for the common case: a node open to `world:anyone` for
/// `perm` (what Kafka writes without `zookeeper.set.acl`) needs no further look.
pub fn permitted(acl: &[Acl], perm: i32, ids: &[Id]) -> Result<(), Code> {
    if acl
        .iter()
        .any(|a| a.perms & perm != 0 && a.scheme == "world" && a.id == "anyone")
    {
        return Ok(());
    }
    check_acl(acl, perm, ids)
}

/// The check ZooKeeper makes before `op` runs on `tree` for a connection with `ids`, in
/// ZooKeeper's order (so the same request gets the same error): for create and setACL, the
/// fixed-up list to store. A missing node is not reported here: the tree reports NONODE
/// itself when the operation runs. A multi is checked op by op by its caller.
pub fn authorize(tree: &DataTree, op: &Op, ids: &[Id]) -> Result<Option<Vec<Acl>>, Code> {
    let acl_of = |path: &str| tree.node(path).map(|n| n.acl.as_slice());
    let need = |path: &str, perm: i32| match acl_of(path) {
        Some(acl) => permitted(acl, perm, ids),
        None => Ok(()),
    };
    match op {
        Op::Create {
            path, acl, flags, ..
        } => {
            // A sequential path is checked with its suffix to come, as the tree checks it.
            let valid = CreateMode::from_flags(*flags).is_some_and(|mode| {
                let checked = if mode.sequential {
                    format!("{path}0")
                } else {
                    path.clone()
                };
                validate_path(&checked).is_ok()
            });
            if !valid {
                return Ok(None); // the tree answers BADARGUMENTS
            }
            let fixed = fixup_acl(acl, ids)?;
            need(parent_of(path.trim_end_matches('/')), perms::CREATE)?;
            Ok(Some(fixed))
        }
        Op::Delete { path, .. } if path != "/" && validate_path(path).is_ok() => {
            need(parent_of(path), perms::DELETE).map(|()| None)
        }
        Op::SetData { path, .. } => need(path, perms::WRITE).map(|()| None),
        Op::SetAcl { path, acl, .. } => {
            let fixed = fixup_acl(acl, ids)?;
            need(path, perms::ADMIN)?;
            Ok(Some(fixed))
        }
        Op::GetData { path, .. }
        | Op::GetChildren { path, .. }
        | Op::GetAllChildrenNumber { path }
        | Op::Check { path, .. } => need(path, perms::READ).map(|()| None),
        Op::GetAcl { path } => need(path, perms::READ | perms::ADMIN).map(|()| None),
        _ => Ok(None),
    }
}

/// The ACL list getACL answers: whole for a connection with ADMIN, else with every digest
/// hash replaced by `x` (`user:x`) — ZooKeeper 3.6+ does not hand hashes to readers.
pub fn redact_for(acl: Vec<Acl>, ids: &[Id]) -> Vec<Acl> {
    if permitted(&acl, perms::ADMIN, ids).is_ok() {
        return acl;
    }
    acl.into_iter()
        .map(|mut a| {
            if a.scheme == "digest" {
                let user = a.id.split(':').next().unwrap_or_default().to_string();
                a.id = format!("{user}:x");
            }
            a
        })
        .collect()
}

/// `op` with the ACL lists it will store (the `auth` entries expanded to the connection's
/// digest ids), for the transaction log: a replay has no connection to ask. Lists that do not
/// fix up stay as they are (such an op failed and changed nothing).
pub fn fixed_op(op: &Op, ids: &[Id]) -> Op {
    let mut op = op.clone();
    match &mut op {
        Op::Create { acl, .. } | Op::SetAcl { acl, .. } => {
            if let Ok(fixed) = fixup_acl(acl, ids) {
                *acl = fixed;
            }
        }
        Op::Multi(ops) => {
            for inner in ops.iter_mut() {
                *inner = fixed_op(inner, ids);
            }
        }
        _ => {}
    }
    op
}

/// Permission letters as zkCli.sh writes and reads them: `cdrwa`.
pub fn perms_to_letters(perms: i32) -> String {
    [
        (perms::CREATE, 'c'),
        (perms::DELETE, 'd'),
        (perms::READ, 'r'),
        (perms::WRITE, 'w'),
        (perms::ADMIN, 'a'),
    ]
    .iter()
    .filter(|(bit, _)| perms & bit != 0)
    .map(|(_, c)| *c)
    .collect()
}

/// `crdwa` letters to bits; `None` for any other letter.
pub fn letters_to_perms(letters: &str) -> Option<i32> {
    letters.chars().try_fold(0, |bits, c| {
        Some(
            bits | match c {
                'r' => perms::READ,
                'w' => perms::WRITE,
                'c' => perms::CREATE,
                'd' => perms::DELETE,
                'a' => perms::ADMIN,
                _ => return None,
            },
        )
    })
}

/// zkCli.sh's ACL syntax: `scheme:id:perms[,scheme:id:perms…]` — the id may hold colons
/// (`digest:alice:hash:cdrwa`), the perms are after the last one. `world:anyone:r`,
/// `ip:10.0.0.0/8:cdrwa`, `auth::cdrwa`.
pub fn parse_acl_list(text: &str) -> Option<Vec<Acl>> {
    text.split(',')
        .map(|entry| {
            let (scheme, rest) = entry.split_once(':')?;
            let (id, letters) = rest.rsplit_once(':')?;
            Some(Acl {
                perms: letters_to_perms(letters)?,
                scheme: scheme.to_string(),
                id: id.to_string(),
            })
        })
        .collect()
}
