//! Adler-32 (RFC 1950), the checksum ZooKeeper puts on every log record and on snapshots
//! (`java.util.zip.Adler32`, through `FileTxnLog.makeChecksumAlgorithm` and `SnapStream`).
//!
//! ```text
//! a = 1 + sum of the bytes            mod 65521
//! b = sum of a after each byte        mod 65521
//! checksum = b << 16 | a              written as a jute long (8 bytes, top 4 zero)
//! ```
//! Cheaper than a CRC and good at catching a torn write; it is weak on very short inputs, which
//! a record never is (its header alone is 32 bytes).

const MOD: u32 = 65_521;

/// A running Adler-32: `update` as bytes go by, `value` at any point (a snapshot takes it
/// twice: after the tree, and again after the digest).
#[derive(Debug, Clone, Copy)]
pub struct Adler32 {
    a: u32,
    b: u32,
}

impl Default for Adler32 {
    fn default() -> Self {
        Adler32 { a: 1, b: 0 }
    }
}

impl Adler32 {
    pub fn update(&mut self, bytes: &[u8]) {
        // 5552 bytes is the most that can be summed before `b` could overflow a u32.
        for chunk in bytes.chunks(5_552) {
            for &byte in chunk {
                self.a += u32::from(byte);
                self.b += self.a;
            }
            self.a %= MOD;
            self.b %= MOD;
        }
    }

    pub fn value(&self) -> u32 {
        (self.b << 16) | self.a
    }
}

/// The Adler-32 of `bytes`.
pub fn adler32(bytes: &[u8]) -> u32 {
    let mut sum = Adler32::default();
    sum.update(bytes);
    sum.value()
}
