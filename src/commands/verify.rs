//! `kafkalab dev verify`: the author's check (see `crate::verify`).
//!
//! Each progress line carries the time since the start, so a long run shows both what it is
//! doing and how far it is ("[  95 s]     lab 03: 31 passed, 0 failed").

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use crate::error::Error;
use crate::manifest::Manifest;

/// `only`: check that one lab alone (`dev verify --lab N`).
pub fn run(root: &Path, only: Option<u32>) -> Result<(), Error> {
    let manifest = Manifest::load(root)?;
    let started = Instant::now();
    crate::verify::verify(root, &manifest, only, |line| {
        println!("[{:>4} s] {line}", started.elapsed().as_secs());
        let _ = std::io::stdout().flush();
    })
}
