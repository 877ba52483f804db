//! Step 2: ZooKeeper's path rules.

use lab08_znodes::data_tree::validate_path;
use lab08_znodes::Code;

#[test]
fn step2_good_paths() {
    for p in [
        "/",
        "/a",
        "/brokers/ids/1",
        "/a-b_c.d",
        "/한국어",
        "/a/.b",
        "/a/b..",
    ] {
        assert_eq!(validate_path(p), Ok(()), "{p}");
    }
}

#[test]
fn step2_bad_paths_are_bad_arguments() {
    for p in [
        "", "a", "a/b", "/a/", "//a", "/a//b", "/a/./b", "/a/../b", "/.", "/..", "/a\0b",
    ] {
        assert_eq!(validate_path(p), Err(Code::BadArguments), "{p:?}");
    }
}
