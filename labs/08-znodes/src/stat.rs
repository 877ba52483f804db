//! A znode's metadata, `Stat`, exactly as ZooKeeper fills it — clients read these fields to
//! do conditional writes (`version`) and to know when and by which transaction a node changed.
//!
//! ```text
//! czxid long   the zxid of the transaction that created the node
//! mzxid long   the zxid of the last change to its data
//! ctime long   creation time, ms since the epoch
//! mtime long   time of the last data change
//! version int  how many times its data changed
//! cversion int how many times its children changed
//! aversion int how many times its ACL changed
//! ephemeralOwner long  the session that owns an ephemeral node, else 0
//! dataLength int
//! numChildren int
//! pzxid long   the zxid of the last change to its children (create or delete of a child)
//! ```

use crate::error::Result;
use crate::jute::{InputArchive, OutputArchive};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stat {
    pub czxid: i64,
    pub mzxid: i64,
    pub ctime: i64,
    pub mtime: i64,
    pub version: i32,
    pub cversion: i32,
    pub aversion: i32,
    pub ephemeral_owner: i64,
    pub data_length: i32,
    pub num_children: i32,
    pub pzxid: i64,
}

impl Stat {
    pub fn write(&self, o: &mut OutputArchive) {
        o.write_long(self.czxid);
        o.write_long(self.mzxid);
        o.write_long(self.ctime);
        o.write_long(self.mtime);
        o.write_int(self.version);
        o.write_int(self.cversion);
        o.write_int(self.aversion);
        o.write_long(self.ephemeral_owner);
        o.write_int(self.data_length);
        o.write_int(self.num_children);
        o.write_long(self.pzxid);
    }

    pub fn read(i: &mut InputArchive<'_>) -> Result<Stat> {
        Ok(Stat {
            czxid: i.read_long()?,
            mzxid: i.read_long()?,
            ctime: i.read_long()?,
            mtime: i.read_long()?,
            version: i.read_int()?,
            cversion: i.read_int()?,
            aversion: i.read_int()?,
            ephemeral_owner: i.read_long()?,
            data_length: i.read_int()?,
            num_children: i.read_int()?,
            pzxid: i.read_long()?,
        })
    }
}

/// An ACL entry: permissions (READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16; ALL 31) for an
/// identity `scheme:id`, e.g. `world:anyone`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Acl {
    pub perms: i32,
    pub scheme: String,
    pub id: String,
}

impl Acl {
    /// `world:anyone` with every permission: ZooKeeper's `OPEN_ACL_UNSAFE`, what most clients send.
    pub fn open() -> Acl {
        Acl {
            perms: 31,
            scheme: "world".into(),
            id: "anyone".into(),
        }
    }

    pub fn write(&self, o: &mut OutputArchive) {
        o.write_int(self.perms);
        o.write_string(Some(&self.scheme));
        o.write_string(Some(&self.id));
    }

    pub fn read(i: &mut InputArchive<'_>) -> Result<Acl> {
        Ok(Acl {
            perms: i.read_int()?,
            // An id may be empty: `auth:` (the scheme that means "my own ids") has none.
            scheme: i.read_string()?.unwrap_or_default(),
            id: i.read_string()?.unwrap_or_default(),
        })
    }
}
