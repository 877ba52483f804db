//! Step 1: varints and zig-zag, checked against the bytes Kafka's `ByteUtils` writes.

use lab01_record_batch::varint::*;
use lab01_record_batch::Error;

fn unsigned(v: u64) -> Vec<u8> {
    let mut buf = Vec::new();
    put_unsigned_varint(&mut buf, v);
    buf
}

#[test]
fn step1_zigzag_maps_small_magnitudes_to_small_numbers() {
    let pairs: [(i64, u64); 8] = [
        (0, 0),
        (-1, 1),
        (1, 2),
        (-2, 3),
        (2, 4),
        (i64::from(i32::MAX), 4_294_967_294),
        (i64::from(i32::MIN), 4_294_967_295),
        (i64::MIN, u64::MAX),
    ];
    for (signed, mapped) in pairs {
        assert_eq!(zigzag_encode(signed), mapped, "zigzag_encode({signed})");
        assert_eq!(zigzag_decode(mapped), signed, "zigzag_decode({mapped})");
    }
    assert_eq!(zigzag_encode(i64::MAX), u64::MAX - 1);
}

#[test]
fn step1_varints_have_kafkas_bytes() {
    assert_eq!(unsigned(0), [0x00]);
    assert_eq!(unsigned(1), [0x01]);
    assert_eq!(unsigned(127), [0x7f]);
    assert_eq!(unsigned(128), [0x80, 0x01]);
    assert_eq!(unsigned(300), [0xac, 0x02]);
    assert_eq!(unsigned(16_384), [0x80, 0x80, 0x01]);
    assert_eq!(
        unsigned(u64::MAX),
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
    );

    let signed = |v: i32| {
        let mut buf = Vec::new();
        put_varint(&mut buf, v);
        buf
    };
    // Kafka writes a null key or value as length −1: one byte, thanks to zig-zag.
    assert_eq!(signed(-1), [0x01]);
    assert_eq!(signed(1), [0x02]);
    assert_eq!(signed(-64), [0x7f]);
    assert_eq!(signed(64), [0x80, 0x01]);
    assert_eq!(signed(i32::MIN), [0xff, 0xff, 0xff, 0xff, 0x0f]);

    let mut buf = Vec::new();
    put_varlong(&mut buf, i64::MIN);
    assert_eq!(
        buf,
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
    );
}

#[test]
fn step1_varints_round_trip_and_advance_the_cursor() {
    let ints = [0, 1, -1, 63, -64, 64, 300, -300, i32::MAX, i32::MIN];
    let longs = [0, -1, 1 << 40, -(1 << 40), i64::MAX, i64::MIN];
    let mut buf = Vec::new();
    for v in ints {
        put_varint(&mut buf, v);
    }
    for v in longs {
        put_varlong(&mut buf, v);
    }
    put_unsigned_varint(&mut buf, u64::MAX);
    buf.push(0xee); // a byte that is not part of any varint

    let mut cursor = buf.as_slice();
    for v in ints {
        assert_eq!(get_varint(&mut cursor), Ok(v));
    }
    for v in longs {
        assert_eq!(get_varlong(&mut cursor), Ok(v));
    }
    assert_eq!(get_unsigned_varint(&mut cursor), Ok(u64::MAX));
    assert_eq!(cursor, [0xee], "reading stops right after the last varint");
}

#[test]
fn step1_bad_varints_are_errors_not_panics() {
    let mut empty: &[u8] = &[];
    assert!(matches!(
        get_varint(&mut empty),
        Err(Error::Truncated { .. })
    ));
    let mut unfinished: &[u8] = &[0x80, 0x80];
    assert!(matches!(
        get_varlong(&mut unfinished),
        Err(Error::Truncated { .. })
    ));
    let mut endless: &[u8] = &[0x80; 11];
    assert_eq!(
        get_varlong(&mut endless),
        Err(Error::VarintTooLong { max_bytes: 10 })
    );
    let mut six: &[u8] = &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    assert_eq!(
        get_varint(&mut six),
        Err(Error::VarintTooLong { max_bytes: 5 })
    );
    // Five bytes can carry 35 bits: too many for an i32.
    let mut wide: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0x7f];
    assert_eq!(
        get_varint(&mut wide),
        Err(Error::VarintOverflow { bits: 32 })
    );
    let mut too_big: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
    assert_eq!(
        get_unsigned_varint(&mut too_big),
        Err(Error::VarintOverflow { bits: 64 })
    );
}
