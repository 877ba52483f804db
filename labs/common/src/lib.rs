//! # lab-common — given code that several labs share
//!
//! Nothing here is left for the learner to write. It exists so that a helper every lab needs is
//! defined once instead of copied into each lab.
//!
//! # Layout
//! - `clock` — the wall clock in milliseconds, read only by the I/O shells.

pub mod clock;

pub use clock::now_ms;
