//! The file under an index: read it whole, append entries, rewrite it. Given code; the index
//! types decide what the bytes mean.
//!
//! A shortcut, labelled: Kafka preallocates each index file (`segment.index.bytes`, 10 MiB),
//! memory-maps it, and trims it to its real size when the segment is closed. We append with
//! ordinary writes and keep the entries in a `Vec`, so the file always has its exact size.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

#[derive(Debug)]
pub struct IndexFile {
    path: PathBuf,
    file: File,
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
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn read_all(&mut self) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        let mut file = File::open(&self.path).map_err(Error::io("read", &self.path))?;
        file.read_to_end(&mut bytes)
            .map_err(Error::io("read", &self.path))?;
        Ok(bytes)
    }

    pub fn append(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .write_all(bytes)
            .map_err(Error::io("append to", &self.path))
    }

    /// Replaces the whole content, as after a rebuild or a truncation.
    pub fn rewrite(&mut self, bytes: &[u8]) -> Result<()> {
        self.file
            .set_len(0)
            .map_err(Error::io("truncate", &self.path))?;
        self.append(bytes)
    }

    pub fn flush(&self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(Error::io("fsync", &self.path))
    }

    pub fn delete(self) -> Result<()> {
        std::fs::remove_file(&self.path).map_err(Error::io("delete", &self.path))
    }
}
