//! Step 1: a request is a 4-byte size and that many bytes; a stream may hold part of one.

use lab04_protocol_codec::frame::{check, frame, DEFAULT_MAX_REQUEST_BYTES};
use lab04_protocol_codec::Error;

const KCAT: &[u8] = include_bytes!("data/kcat_api_versions_v3.bin");

#[test]
fn step1_a_frame_is_complete_only_when_all_its_bytes_are_there() {
    let max = DEFAULT_MAX_REQUEST_BYTES;
    for cut in 0..KCAT.len() {
        assert_eq!(
            check(&KCAT[..cut], max),
            Ok(None),
            "cut at {cut}: read more"
        );
    }
    assert_eq!(check(KCAT, max), Ok(Some(KCAT.len())));
    // Two requests back to back: the first frame ends where its size says.
    let two = [KCAT, KCAT].concat();
    assert_eq!(check(&two, max), Ok(Some(KCAT.len())));
}

#[test]
fn step1_frame_writes_the_size_prefix() {
    assert_eq!(frame(&KCAT[4..]), KCAT);
    assert_eq!(frame(&[]), [0, 0, 0, 0]);
    assert_eq!(frame(&[7; 300])[..4], [0, 0, 1, 44]);
}

#[test]
fn step1_absurd_sizes_are_refused_before_any_allocation() {
    let two_gib = [0x7f, 0xff, 0xff, 0xff];
    assert_eq!(
        check(&two_gib, DEFAULT_MAX_REQUEST_BYTES),
        Err(Error::FrameTooLarge {
            size: i64::from(i32::MAX),
            max: DEFAULT_MAX_REQUEST_BYTES
        })
    );
    assert!(matches!(
        check(&[0xff, 0xff, 0xff, 0xfe], 1000),
        Err(Error::NegativeLength { .. })
    ));
    assert_eq!(
        check(&[0, 0, 0, 10], 10),
        Ok(None),
        "exactly the limit is allowed"
    );
    assert!(matches!(
        check(&[0, 0, 0, 11], 10),
        Err(Error::FrameTooLarge { .. })
    ));
}
