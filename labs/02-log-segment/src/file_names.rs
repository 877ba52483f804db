//! Segment file names, as Kafka's `LogFileUtils` makes them.
//!
//! A segment is named by its base offset, zero-padded to 20 digits (enough for any `i64`), so
//! that `ls` sorts segments in offset order and the base offset of any file can be read from
//! its name without opening it:
//!
//! ```text
//! 00000000000000000000.log        00000000000000000000.index   00000000000000000000.timeindex
//! 00000000000000368769.log        00000000000000368769.index   00000000000000368769.timeindex
//! ```

/// The record batches themselves.
pub const LOG_SUFFIX: &str = ".log";
/// Offset → position in the `.log`.
pub const INDEX_SUFFIX: &str = ".index";
/// Timestamp → offset.
pub const TIME_INDEX_SUFFIX: &str = ".timeindex";

/// `file_name(368769, ".log")` is `00000000000000368769.log`.
pub fn file_name(base_offset: i64, suffix: &str) -> String {
    // BEGIN SOLUTION step 1: pad the base offset with zeros to 20 digits and add the suffix
    // ko: 기준 오프셋을 20자리가 되도록 0으로 채우고 접미사를 붙이기
    format!("{base_offset:020}{suffix}")
    // END SOLUTION
}

/// The base offset in a file name made by [`file_name`], or `None` for any other name
/// (another suffix, not 20 digits, a temporary file).
pub fn parse_base_offset(name: &str, suffix: &str) -> Option<i64> {
    // BEGIN SOLUTION step 1: strip the suffix, then accept exactly 20 ASCII digits
    // ko: 접미사를 떼고 정확히 20개의 ASCII 숫자만 받아들이기
    let digits = name.strip_suffix(suffix)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
    // END SOLUTION
}
