//! # lab-common — given code that several labs share
//!
//! Nothing here is left for the learner to write. It exists so that a helper every lab needs is
//! defined once instead of copied into each lab.
//!
//! # Layout
//! - `clock` — the wall clock in milliseconds, read only by the I/O shells.
//! - `typo` — the known config key an unknown one most likely meant.

pub mod clock;
pub mod typo;

pub use clock::now_ms;
