//! `kafkalab dev verify`: the author's check (see `crate::verify`).

use std::path::Path;

use crate::error::Error;
use crate::manifest::Manifest;

pub fn run(root: &Path) -> Result<(), Error> {
    let manifest = Manifest::load(root)?;
    crate::verify::verify(root, &manifest, |line| println!("{line}"))
}
