//! Helpers for the root integration tests: finding the real tools they run.

#![allow(dead_code)]

use std::process::Command;

/// Whether CI asked for every real tool to be present (`KAFKALAB_REQUIRE_ALL=1`).
pub fn require_all() -> bool {
    std::env::var("KAFKALAB_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Whether `python3 -c "import MODULE"` works. When it does not: under CI this fails the test
/// with the way to install it; on a learner's machine the test says so and is skipped.
pub fn python_module(module: &str, install: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        let message = format!("python3 cannot import {module}; install it with: {install}");
        assert!(!require_all(), "{message}");
        eprintln!("SKIPPED: {message}");
    }
    ok
}
