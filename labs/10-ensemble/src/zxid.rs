//! The zxid: ZooKeeper's transaction id, one 64-bit number that orders every change the
//! ensemble ever made — ZooKeeper's `ZxidUtils`.
//!
//! ```text
//! bit 63 ........ 32 | 31 ......... 0
//!      epoch          |    counter
//! ```
//! The high half is the *epoch*: the number of the leadership that proposed the change. The low
//! half counts the proposals of that leader, from 1. A new leader starts its epoch at
//! `make(epoch, 0)` ("nothing proposed yet in this epoch"), so comparing two zxids as plain
//! numbers compares first the leadership, then the position inside it.

use std::fmt;

/// A transaction id, `epoch << 32 | counter`. Ordered as the signed 64-bit number on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Zxid(pub i64);

impl Zxid {
    /// `ZxidUtils.makeZxid(epoch, counter)`.
    pub fn make(epoch: i64, counter: i64) -> Zxid {
        // BEGIN SOLUTION step 1: put the epoch in the high 32 bits and the counter in the low 32
        // ko: 에포크를 상위 32비트에, 카운터를 하위 32비트에 넣으세요
        Zxid((epoch << 32) | (counter & 0xffff_ffff))
        // END SOLUTION
    }

    /// `ZxidUtils.getEpochFromZxid`.
    pub fn epoch(self) -> i64 {
        // BEGIN SOLUTION step 1: the high 32 bits
        // ko: 상위 32비트
        self.0 >> 32
        // END SOLUTION
    }

    /// `ZxidUtils.getCounterFromZxid`.
    pub fn counter(self) -> i64 {
        // BEGIN SOLUTION step 1: the low 32 bits
        // ko: 하위 32비트
        self.0 & 0xffff_ffff
        // END SOLUTION
    }

    /// The zxid right after this one in the same epoch.
    pub fn next(self) -> Zxid {
        Zxid(self.0 + 1)
    }
}

impl fmt::Display for Zxid {
    /// Hex, as ZooKeeper's logs and four-letter words print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:x}", self.0)
    }
}
