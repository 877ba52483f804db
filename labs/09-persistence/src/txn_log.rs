//! The transaction log: every write, appended and fsynced before the client hears "done" —
//! ZooKeeper's `FileTxnLog`. A file holds records from the zxid in its name on:
//! `version-2/log.<first zxid in hex>`.
//!
//! ```text
//! record:  length u32 | crc32c u32 (of the payload) | payload
//! payload: zxid long | time long | type int, then
//!          1 createSession: session long | passwd buffer | timeout int
//!          2 closeSession:  session long
//!          3 request:       session long | op type int | the request record
//!          4 error:         session long | err int (a refused write: ZooKeeper's ErrorTxn)
//!          5 multi error:   session long | count int | err int per op (a failed multi)
//! ```
//! A file is preallocated with zeros (ZooKeeper's `preAllocSize`); the records end where the
//! zeros begin. A crash can leave the last record half written. On start the log is read up to the first
//! record whose length or checksum is wrong, and cut there: nothing before it is lost, and that
//! record was never acknowledged (the fsync had not returned).

use std::path::{Path, PathBuf};

use lab08_znodes::jute::{InputArchive, OutputArchive};
use lab08_znodes::proto::Op;
use lab08_znodes::txn::{LoggedTxn, Txn};
use lab08_znodes::Code;

use crate::error::{io, Error, Result};

/// The payload of one logged transaction.
pub fn encode(t: &LoggedTxn) -> Vec<u8> {
    let mut o = OutputArchive::new();
    o.write_long(t.zxid);
    o.write_long(t.time_ms);
    match &t.txn {
        Txn::CreateSession {
            session,
            passwd,
            timeout_ms,
        } => {
            o.write_int(1);
            o.write_long(*session);
            o.write_buffer(Some(passwd));
            o.write_int(*timeout_ms);
        }
        Txn::CloseSession { session } => {
            o.write_int(2);
            o.write_long(*session);
        }
        Txn::Request { session, op } => {
            o.write_int(3);
            o.write_long(*session);
            o.write_int(op.kind());
            op.write(&mut o);
        }
        Txn::Error { session, code } => {
            o.write_int(4);
            o.write_long(*session);
            o.write_int(code.code());
        }
        Txn::MultiError { session, codes } => {
            o.write_int(5);
            o.write_long(*session);
            o.write_int(codes.len() as i32);
            for c in codes {
                o.write_int(*c);
            }
        }
    }
    o.into_bytes()
}

pub fn decode(payload: &[u8]) -> lab08_znodes::Result<LoggedTxn> {
    let mut i = InputArchive::new(payload);
    let zxid = i.read_long()?;
    let time_ms = i.read_long()?;
    let txn = match i.read_int()? {
        1 => Txn::CreateSession {
            session: i.read_long()?,
            passwd: i.read_buffer()?.unwrap_or_default(),
            timeout_ms: i.read_int()?,
        },
        2 => Txn::CloseSession {
            session: i.read_long()?,
        },
        3 => {
            let session = i.read_long()?;
            let kind = i.read_int()?;
            Txn::Request {
                session,
                op: Op::read(kind, &mut i)?,
            }
        }
        4 => {
            let session = i.read_long()?;
            let err = i.read_int()?;
            Txn::Error {
                session,
                code: Code::from_code(err).ok_or(lab08_znodes::Error::UnknownCode(err))?,
            }
        }
        5 => {
            let session = i.read_long()?;
            let n = i.read_count()?.unwrap_or(0);
            let codes = (0..n)
                .map(|_| i.read_int())
                .collect::<lab08_znodes::Result<Vec<i32>>>()?;
            Txn::MultiError { session, codes }
        }
        other => return Err(lab08_znodes::Error::UnknownOp(other)),
    };
    Ok(LoggedTxn { zxid, time_ms, txn })
}

/// One record as it goes on disk: length, checksum, payload.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    // BEGIN SOLUTION step 1: the payload's length and its CRC-32C, both big-endian u32, then the payload
    // ko: 페이로드의 길이와 CRC-32C를 둘 다 빅엔디언 u32로 쓰고, 그다음 페이로드를 쓰세요
    let mut out = Vec::with_capacity(8 + payload.len());
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&crc32c::crc32c(payload).to_be_bytes());
    out.extend_from_slice(payload);
    out
    // END SOLUTION
}

/// What reading a log file found: the records, and where the valid part ends (the file's
/// length if it is whole, else the offset of the first bad record).
#[derive(Debug)]
pub struct ReadLog {
    pub txns: Vec<LoggedTxn>,
    pub valid_len: u64,
    /// Why the tail was cut, if it was.
    pub torn: Option<String>,
}

/// Whether `bytes` are all zeros: the preallocated end of a log file. Compared a page at a
/// time (a `memcmp`), so that even a debug build checks a 64 MiB tail in milliseconds.
pub fn all_zeros(bytes: &[u8]) -> bool {
    const PAGE: [u8; 4096] = [0; 4096];
    bytes.chunks(PAGE.len()).all(|c| c == &PAGE[..c.len()])
}

/// Reads the records of a log file's bytes, stopping at the first one that is cut short or
/// whose checksum or contents are wrong.
pub fn read_records(bytes: &[u8]) -> ReadLog {
    // BEGIN SOLUTION step 2: walk the records; stop at a short header, a length past the end, a CRC mismatch (torn says checksum) or an undecodable payload
    // ko: 레코드를 따라가다가 짧은 헤더, 끝을 넘는 길이, CRC 불일치(torn에 checksum이라고 적기), 해석할 수 없는 페이로드에서 멈추세요
    let mut txns = Vec::new();
    let mut at = 0usize;
    let torn = loop {
        let rest = &bytes[at..];
        if rest.is_empty() {
            break None;
        }
        if rest.len() < 8 {
            break Some(format!("{} bytes of a record header", rest.len()));
        }
        let len = u32::from_be_bytes(rest[0..4].try_into().expect("4 bytes")) as usize;
        let crc = u32::from_be_bytes(rest[4..8].try_into().expect("4 bytes"));
        if len == 0 && all_zeros(rest) {
            break None; // the preallocated zeros after the last record: the log's end
        }
        if rest.len() < 8 + len {
            break Some(format!(
                "a record of {len} bytes with {} there",
                rest.len() - 8
            ));
        }
        let payload = &rest[8..8 + len];
        if crc32c::crc32c(payload) != crc {
            break Some("a checksum mismatch".into());
        }
        match decode(payload) {
            Ok(t) => txns.push(t),
            Err(e) => break Some(format!("an unreadable record: {e}")),
        }
        at += 8 + len;
    };
    ReadLog {
        txns,
        valid_len: at as u64,
        torn,
    }
    // END SOLUTION
}

/// The log files in `dir`, by first zxid.
pub fn log_files(dir: &Path) -> Result<Vec<(i64, PathBuf)>> {
    files_named(dir, "log.")
}

pub(crate) fn files_named(dir: &Path, prefix: &str) -> Result<Vec<(i64, PathBuf)>> {
    let mut out = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io("list", dir)(e)),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(hex) = name.strip_prefix(prefix) {
            if let Ok(zxid) = i64::from_str_radix(hex, 16) {
                out.push((zxid, entry.path()));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// How much a new log file is grown to before use (ZooKeeper's `preAllocSize`, 64 MiB): with
/// the blocks already there, each fsync only has to write data, not the file's new size.
pub const PREALLOCATE: u64 = 64 << 20;

/// An open log file taking appends.
pub struct LogWriter {
    path: PathBuf,
    file: std::fs::File,
    /// Where the next record goes (the file is longer: preallocated zeros).
    position: u64,
}

impl LogWriter {
    /// A new log file whose first record will be `first_zxid`.
    pub fn create(dir: &Path, first_zxid: i64) -> Result<LogWriter> {
        std::fs::create_dir_all(dir).map_err(io("create", dir))?;
        let path = dir.join(format!("log.{first_zxid:x}"));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io("open", &path))?;
        file.set_len(PREALLOCATE)
            .map_err(io("preallocate", &path))?;
        file.sync_all().map_err(io("fsync", &path))?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(LogWriter {
            path,
            file,
            position: 0,
        })
    }

    /// Appends and fsyncs: when this returns, the transactions survive a crash.
    pub fn append(&mut self, txns: &[LoggedTxn]) -> std::io::Result<()> {
        use std::os::unix::fs::FileExt;
        let mut bytes = Vec::new();
        for t in txns {
            bytes.extend_from_slice(&frame(&encode(t)));
        }
        if self.position + bytes.len() as u64 > self.file.metadata()?.len() {
            self.file
                .set_len(self.position + bytes.len() as u64 + PREALLOCATE)?;
        }
        self.file.write_all_at(&bytes, self.position)?;
        self.position += bytes.len() as u64;
        self.file.sync_data()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads every log of `dir` for a restart: the transactions after `after_zxid`, in order. A
/// torn tail of the newest log is cut off (truncating the file); damage in an older log is an
/// error, because later logs depend on it.
pub fn read_logs(dir: &Path, after_zxid: i64) -> Result<Vec<LoggedTxn>> {
    let logs = log_files(dir)?;
    let mut out = Vec::new();
    for (index, (_, path)) in logs.iter().enumerate() {
        let bytes = std::fs::read(path).map_err(io("read", path))?;
        let read = read_records(&bytes);
        if let Some(reason) = &read.torn {
            if index + 1 < logs.len() {
                return Err(Error::CorruptLog {
                    path: path.display().to_string(),
                    at: read.valid_len,
                    reason: reason.clone(),
                });
            }
            tracing::warn!(log = %path.display(), at = read.valid_len, "cutting off a torn tail ({reason}): a write that was never acknowledged");
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(io("open", path))?;
            f.set_len(read.valid_len).map_err(io("truncate", path))?;
            f.sync_all().map_err(io("fsync", path))?;
        }
        out.extend(read.txns.into_iter().filter(|t| t.zxid > after_zxid));
    }
    Ok(out)
}
