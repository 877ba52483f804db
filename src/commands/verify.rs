//! `kafkalab dev verify`: the author's check (see `crate::verify`).

use std::path::Path;

use crate::error::Error;
use crate::manifest::Manifest;

/// `only`: check that one lab alone (`dev verify --lab N`).
pub fn run(root: &Path, only: Option<u32>) -> Result<(), Error> {
    let manifest = Manifest::load(root)?;
    crate::verify::verify(root, &manifest, only, |line| println!("{line}"))
}
