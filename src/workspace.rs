//! Finding the kafkalab workspace a command works on: the repository or a learner's workbook.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::manifest::MANIFEST_PATH;

/// The workspace root: the nearest folder, from `start` upwards, that holds `labs/labs.yaml`
/// next to a `Cargo.toml`.
pub fn find_root(start: &Path) -> Result<PathBuf, Error> {
    start
        .ancestors()
        .find(|dir| dir.join(MANIFEST_PATH).is_file() && dir.join("Cargo.toml").is_file())
        .map(Path::to_path_buf)
        .ok_or(Error::NoWorkspace)
}

/// `--workspace DIR` if given, else the folder around the current directory.
pub fn resolve(explicit: Option<&Path>) -> Result<PathBuf, Error> {
    match explicit {
        Some(dir) => find_root(dir),
        None => {
            let cwd = std::env::current_dir().map_err(|source| Error::Io {
                path: PathBuf::from("."),
                source,
            })?;
            find_root(&cwd)
        }
    }
}

/// The `cargo` to run: the one that started us (`cargo run` sets `CARGO`), else the one on PATH.
pub fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}
