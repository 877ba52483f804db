//! Step 1: jute — big-endian ints and longs, length-prefixed buffers and strings, −1 for null.

use lab08_znodes::jute::{InputArchive, OutputArchive};
use lab08_znodes::stat::Stat;
use lab08_znodes::Error;

#[test]
fn step1_values_round_trip_in_zookeepers_layout() {
    let mut o = OutputArchive::new();
    o.write_int(-2);
    o.write_long(0x0102_0304_0506_0708);
    o.write_bool(true);
    o.write_buffer(Some(b"ab"));
    o.write_buffer(None);
    o.write_string(Some("/zk"));
    let bytes = o.into_bytes();
    assert_eq!(
        bytes,
        [
            &[0xff, 0xff, 0xff, 0xfe][..],
            &[1, 2, 3, 4, 5, 6, 7, 8],
            &[1],
            &[0, 0, 0, 2, b'a', b'b'],
            &[0xff, 0xff, 0xff, 0xff],
            &[0, 0, 0, 3, b'/', b'z', b'k'],
        ]
        .concat()
    );
    let mut i = InputArchive::new(&bytes);
    assert_eq!(i.read_int().unwrap(), -2);
    assert_eq!(i.read_long().unwrap(), 0x0102_0304_0506_0708);
    assert!(i.read_bool().unwrap());
    assert_eq!(i.read_buffer().unwrap(), Some(b"ab".to_vec()));
    assert_eq!(i.read_buffer().unwrap(), None);
    assert_eq!(i.read_string().unwrap().as_deref(), Some("/zk"));
    assert_eq!(i.remaining(), 0);
}

#[test]
fn step1_short_or_lying_input_is_an_error() {
    assert!(matches!(
        InputArchive::new(&[0, 0, 1]).read_int(),
        Err(Error::Truncated { .. })
    ));
    // A buffer claiming 100 bytes with 2 there.
    assert!(matches!(
        InputArchive::new(&[0, 0, 0, 100, 1, 2]).read_buffer(),
        Err(Error::Truncated { .. })
    ));
    // A negative length other than −1.
    assert!(matches!(
        InputArchive::new(&[0xff, 0xff, 0xff, 0xfe]).read_buffer(),
        Err(Error::BadLength { .. })
    ));
    assert_eq!(
        InputArchive::new(&[0, 0, 0, 1, 0xff]).read_string(),
        Err(Error::NotUtf8)
    );
}

#[test]
fn step1_a_stat_is_68_bytes_in_field_order() {
    let stat = Stat {
        czxid: 1,
        mzxid: 2,
        ctime: 3,
        mtime: 4,
        version: 5,
        cversion: 6,
        aversion: 7,
        ephemeral_owner: 8,
        data_length: 9,
        num_children: 10,
        pzxid: 11,
    };
    let mut o = OutputArchive::new();
    stat.write(&mut o);
    let bytes = o.into_bytes();
    assert_eq!(bytes.len(), 68);
    assert_eq!(
        &bytes[36..40],
        &6i32.to_be_bytes(),
        "cversion after version"
    );
    assert_eq!(&bytes[60..68], &11i64.to_be_bytes(), "pzxid last");
    assert_eq!(Stat::read(&mut InputArchive::new(&bytes)).unwrap(), stat);
}
