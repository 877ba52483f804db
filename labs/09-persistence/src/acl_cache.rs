//! The ACL cache of a snapshot — ZooKeeper's `ReferenceCountedACLCache`: most znodes share a
//! few ACL lists (often just `world:anyone:cdrwa`), so each distinct list is written once with
//! a number, and each node names its list by that number.
//!
//! ```text
//! map:  count int, then per list: number long | acls vector<ACL>
//! node: … | acl long (the list's number) | …
//! ```
//! Numbers start at 1, in the order the lists are first met; −1 stands for `world:anyone:cdrwa`
//! without being in the map (ZooKeeper's own nodes use it). A teaching shortcut: ZooKeeper
//! keeps this map in memory too (with a reference count per list, to drop unused ones); our
//! `DataTree` keeps each node's list itself, and the map is built when a snapshot is written.

use std::collections::{BTreeMap, HashMap};

use lab08_znodes::jute::{InputArchive, OutputArchive};
use lab08_znodes::proto::{read_acls, write_acls};
use lab08_znodes::stat::Acl;

/// `ReferenceCountedACLCache.OPEN_UNSAFE_ACL_ID`.
pub const OPEN_UNSAFE_ACL_ID: i64 = -1;

#[derive(Debug)]
pub struct AclCache {
    /// `world:anyone:cdrwa`, for −1.
    open: Acl,
    /// Number → list. ZooKeeper's numbers need not be contiguous, so a map.
    lists: BTreeMap<i64, Vec<Acl>>,
    numbers: HashMap<Vec<Acl>, i64>,
}

impl Default for AclCache {
    fn default() -> Self {
        AclCache {
            open: Acl::open(),
            lists: BTreeMap::new(),
            numbers: HashMap::new(),
        }
    }
}

impl AclCache {
    /// The number of `acl`, given a new one the first time the list is met
    /// (`convertAcls`).
    pub fn number(&mut self, acl: &[Acl]) -> i64 {
        if let Some(n) = self.numbers.get(acl) {
            return *n;
        }
        let n = self.lists.keys().next_back().map_or(1, |last| last + 1);
        self.lists.insert(n, acl.to_vec());
        self.numbers.insert(acl.to_vec(), n);
        n
    }

    /// The list numbered `n` (`convertLong`); `None` if no list has that number. −1 is
    /// ZooKeeper's number for `world:anyone:cdrwa` without an entry (`OPEN_UNSAFE_ACL_ID`: its
    /// own nodes `/` and `/zookeeper` use it).
    pub fn list(&self, n: i64) -> Option<&[Acl]> {
        if n == OPEN_UNSAFE_ACL_ID {
            return Some(std::slice::from_ref(&self.open));
        }
        self.lists.get(&n).map(Vec::as_slice)
    }

    pub fn write(&self, o: &mut OutputArchive) {
        o.write_int(self.lists.len() as i32);
        for (n, acl) in &self.lists {
            o.write_long(*n);
            write_acls(o, acl);
        }
    }

    pub fn read(i: &mut InputArchive<'_>) -> lab08_znodes::Result<AclCache> {
        let mut cache = AclCache::default();
        for _ in 0..i.read_count()?.unwrap_or(0) {
            let n = i.read_long()?;
            let acl = read_acls(i)?;
            cache.numbers.insert(acl.clone(), n);
            cache.lists.insert(n, acl);
        }
        Ok(cache)
    }
}
