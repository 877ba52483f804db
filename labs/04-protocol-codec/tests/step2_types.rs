//! Step 2: the primitive types, classic and compact, with Kafka's exact bytes.

use lab04_protocol_codec::{Decoder, Encoder, Error};
use proptest::prelude::*;

fn encoded(f: impl FnOnce(&mut Encoder)) -> Vec<u8> {
    let mut e = Encoder::new();
    f(&mut e);
    e.into_bytes()
}

#[test]
fn step2_strings_have_kafkas_bytes() {
    assert_eq!(encoded(|e| e.string("rdkafka", false)), b"\x00\x07rdkafka");
    assert_eq!(encoded(|e| e.nullable_string(None, false)), [0xff, 0xff]);
    // Compact: length + 1 as an unsigned varint, 0 for null.
    assert_eq!(encoded(|e| e.string("orders", true)), b"\x07orders");
    assert_eq!(encoded(|e| e.nullable_string(None, true)), [0x00]);
    assert_eq!(encoded(|e| e.string("", true)), [0x01]);
    let long = "x".repeat(200);
    assert_eq!(encoded(|e| e.string(&long, true))[..2], [0xc9, 0x01]);

    let mut d = Decoder::new(b"\x00\x07rdkafka\xff\xff\x07orders\x00\x01");
    assert_eq!(d.string(false), Ok("rdkafka".to_string()));
    assert_eq!(d.nullable_string(false), Ok(None));
    assert_eq!(d.string(true), Ok("orders".to_string()));
    assert_eq!(d.nullable_string(true), Ok(None));
    assert_eq!(d.string(true), Ok(String::new()));
    assert_eq!(d.finish(), Ok(()));
}

#[test]
fn step2_arrays_have_kafkas_bytes() {
    assert_eq!(encoded(|e| e.array_len(Some(3), false)), [0, 0, 0, 3]);
    assert_eq!(
        encoded(|e| e.array_len(None, false)),
        [0xff, 0xff, 0xff, 0xff]
    );
    assert_eq!(encoded(|e| e.array_len(Some(3), true)), [4]);
    assert_eq!(encoded(|e| e.array_len(None, true)), [0]);

    let mut d = Decoder::new(&[0, 0, 0, 2, 9, 9, 0xff, 0xff, 0xff, 0xff, 3, 9, 9, 0]);
    assert_eq!(d.array_len(false), Ok(Some(2)));
    d.take(2, "elements").unwrap();
    assert_eq!(d.array_len(false), Ok(None));
    assert_eq!(d.array_len(true), Ok(Some(2)));
    d.take(2, "elements").unwrap();
    assert_eq!(d.array_len(true), Ok(None));
}

#[test]
fn step2_unknown_tagged_fields_are_skipped() {
    // Two tagged fields (tags 0 and 5, sizes 2 and 0), then an int16 that follows them.
    let bytes = [2, 0, 2, 0xaa, 0xbb, 5, 0, 0x12, 0x34];
    let mut d = Decoder::new(&bytes);
    assert_eq!(d.skip_tagged_fields(), Ok(2));
    assert_eq!(d.i16(), Ok(0x1234));
    assert_eq!(encoded(|e| e.no_tagged_fields(true)), [0]);
    assert_eq!(encoded(|e| e.no_tagged_fields(false)), [] as [u8; 0]);
}

#[test]
fn step2_lies_and_truncation_are_errors() {
    assert!(matches!(
        Decoder::new(&[0, 5, b'a']).string(false),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        Decoder::new(&[0xff, 0xfe]).nullable_string(false),
        Err(Error::NegativeLength { .. })
    ));
    assert_eq!(
        Decoder::new(&[0xff, 0xff]).string(false),
        Err(Error::UnexpectedNull { what: "string" })
    );
    assert_eq!(
        Decoder::new(&[0, 2, 0xc3, 0x28]).string(false),
        Err(Error::NotUtf8)
    );
    // A count of 2 billion elements in a 4-byte message.
    assert!(matches!(
        Decoder::new(&[0x7f, 0xff, 0xff, 0xff]).array_len(false),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        Decoder::new(&[0xff, 0xff, 0xff, 0x7f]).array_len(true),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        Decoder::new(&[1, 0, 9]).skip_tagged_fields(),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        Decoder::new(&[1]).finish(),
        Err(Error::TrailingBytes { extra: 1 })
    ));
}

proptest! {
    // A fixed seed: the same cases on every run, so a failure can be replayed.
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x6b61_666b_616c_6162),
        ..ProptestConfig::default()
    })]

    #[test]
    fn step2_strings_round_trip(s in ".{0,80}", flexible in any::<bool>()) {
        let bytes = encoded(|e| e.string(&s, flexible));
        let mut d = Decoder::new(&bytes);
        prop_assert_eq!(d.string(flexible), Ok(s));
        prop_assert_eq!(d.finish(), Ok(()));
    }

    #[test]
    fn step2_decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut d = Decoder::new(&bytes);
        let _ = d.nullable_string(true);
        let _ = d.array_len(true);
        let _ = d.skip_tagged_fields();
        let _ = d.nullable_string(false);
        let _ = d.array_len(false);
    }
}
