//! The file under an index: read it whole, append entries, rewrite it. Given code; the index
//! types decide what the bytes mean.
//!
//! A shortcut, labelled: Kafka preallocates each index file (`segment.index.bytes`, 10 MiB),
//! memory-maps it, and trims it to its real size when the segment is closed. We keep the
//! entries in a `Vec` and the file at its exact size, appending with ordinary writes.
//!
//! Those writes are gathered: an appended entry waits in memory until [`PENDING_LIMIT`] bytes
//! wait, the index is flushed or rewritten, or the file is closed. Kafka's stores into its
//! memory map cost no system call; one `write` per 8-byte entry cost a broker with 1,000
//! partitions 13 % of its CPU (measured), because each one also updates the file's size and
//! times. Entries lost to a crash cost nothing: a segment rebuilds both indexes from its `.log`
//! whenever it is opened (`recovery`).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};

/// Bytes of appended entries kept in memory before they are written: 512 offset-index entries.
pub const PENDING_LIMIT: usize = 4096;

#[derive(Debug)]
pub struct IndexFile {
    path: PathBuf,
    file: File,
    /// Appended entries not yet written. A `Mutex` because `flush` takes `&self`, as a
    /// segment's flush does; `append` reaches it without locking (`get_mut`).
    pending: Mutex<Vec<u8>>,
}

impl IndexFile {
    /// Opens the file, creating it empty if it does not exist.
    pub fn open(path: &Path) -> Result<IndexFile> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(Error::io("open", path))?;
        Ok(IndexFile {
            path: path.to_path_buf(),
            file,
            pending: Mutex::new(Vec::new()),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn read_all(&mut self) -> Result<Vec<u8>> {
        self.write_pending()?;
        let mut bytes = Vec::new();
        let mut file = File::open(&self.path).map_err(Error::io("read", &self.path))?;
        file.read_to_end(&mut bytes)
            .map_err(Error::io("read", &self.path))?;
        Ok(bytes)
    }

    /// Adds `bytes` at the end of the file: written at once when [`PENDING_LIMIT`] bytes wait,
    /// else at the next flush, rewrite or close.
    pub fn append(&mut self, bytes: &[u8]) -> Result<()> {
        let pending = self.pending.get_mut().unwrap_or_else(|e| e.into_inner());
        pending.extend_from_slice(bytes);
        if pending.len() >= PENDING_LIMIT {
            self.write_pending()?;
        }
        Ok(())
    }

    /// Replaces the whole content, as after a rebuild or a truncation; written at once.
    pub fn rewrite(&mut self, bytes: &[u8]) -> Result<()> {
        self.pending
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.file
            .set_len(0)
            .map_err(Error::io("truncate", &self.path))?;
        self.append(bytes)?;
        self.write_pending()
    }

    /// Writes the waiting entries and fsyncs the file.
    pub fn flush(&self) -> Result<()> {
        self.write_pending()?;
        self.file
            .sync_data()
            .map_err(Error::io("fsync", &self.path))
    }

    pub fn delete(self) -> Result<()> {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        std::fs::remove_file(&self.path).map_err(Error::io("delete", &self.path))
    }

    /// Writes the waiting entries, without an fsync. On an error the unwritten ones stay
    /// waiting, so nothing is written twice or lost while the file is open.
    pub fn write_pending(&self) -> Result<()> {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        // `write_all` would not say how much a failed call wrote: count it, so a retry
        // writes only the rest.
        while !pending.is_empty() {
            match (&self.file).write(&pending) {
                Ok(0) => {
                    return Err(Error::io("append to", &self.path)(
                        std::io::ErrorKind::WriteZero.into(),
                    ))
                }
                Ok(written) => drop(pending.drain(..written)),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io("append to", &self.path)(e)),
            }
        }
        Ok(())
    }
}

impl Drop for IndexFile {
    /// A closed segment leaves complete index files, as Kafka's trimmed ones. An error here
    /// has no one to tell: the next open rebuilds the index from the `.log` anyway.
    fn drop(&mut self) {
        let _ = self.write_pending();
    }
}
