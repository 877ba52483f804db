//! Step 1: segment files are named by their base offset, zero-padded to 20 digits.

use lab02_log_segment::{
    file_name, parse_base_offset, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX,
};

#[test]
fn step1_files_are_named_by_a_20_digit_base_offset() {
    assert_eq!(file_name(0, LOG_SUFFIX), "00000000000000000000.log");
    assert_eq!(
        file_name(368_769, INDEX_SUFFIX),
        "00000000000000368769.index"
    );
    assert_eq!(
        file_name(i64::MAX, TIME_INDEX_SUFFIX),
        "09223372036854775807.timeindex"
    );
    for offset in [0, 1, 368_769, 1 << 40, i64::MAX] {
        for suffix in [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX] {
            assert_eq!(
                parse_base_offset(&file_name(offset, suffix), suffix),
                Some(offset)
            );
        }
    }
    // Zero padding makes the names sort like the offsets.
    let mut names: Vec<String> = [1000, 5, 20, 0]
        .iter()
        .map(|o| file_name(*o, LOG_SUFFIX))
        .collect();
    names.sort();
    assert_eq!(names, [0, 5, 20, 1000].map(|o| file_name(o, LOG_SUFFIX)));
}

#[test]
fn step1_other_files_are_not_segments() {
    for name in [
        "0.log",
        "0000000000000000000a.log",
        "00000000000000000000.log.deleted",
        "00000000000000000000.index",
        "-0000000000000000001.log",
        "99999999999999999999.log",
        "000000000000000000000.log",
        ".log",
        "leader-epoch-checkpoint",
    ] {
        assert_eq!(parse_base_offset(name, LOG_SUFFIX), None, "{name}");
    }
}
