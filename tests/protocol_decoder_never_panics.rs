//! The request decoder meets arbitrary and damaged bytes: it must answer with an error (or a
//! request), never panic, whatever a client sends. Seeded, so every run checks the same cases
//! and a failure replays.

use lab04_protocol_codec::{decode_request, frame};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};

const CAPTURES: [&[u8]; 11] = [
    include_bytes!("../labs/04-protocol-codec/tests/data/kcat_api_versions_v3.bin"),
    include_bytes!("../labs/04-protocol-codec/tests/data/kcat_metadata_v4_orders.bin"),
    include_bytes!("../labs/04-protocol-codec/tests/data/kcat_metadata_v4_brokers_only.bin"),
    include_bytes!("../labs/04-protocol-codec/tests/data/confluent_kafka_api_versions_v3.bin"),
    include_bytes!("../labs/04-protocol-codec/tests/data/confluent_kafka_metadata_v9_orders.bin"),
    include_bytes!("../labs/04-protocol-codec/tests/data/kafka_python_api_versions_v3.bin"),
    include_bytes!("../labs/04-protocol-codec/tests/data/kafka_python_api_versions_v4.bin"),
    include_bytes!("../labs/04-protocol-codec/tests/data/kafka_python_metadata_v9.bin"),
    include_bytes!("../labs/04-protocol-codec/tests/data/kcat_produce_v7.bin"),
    include_bytes!("../labs/04-protocol-codec/tests/data/kcat_fetch_v11.bin"),
    include_bytes!("../labs/04-protocol-codec/tests/data/kcat_list_offsets_v2.bin"),
];

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x6b61_666b_616c_6162),
        ..Config::default()
    })
}

#[test]
fn arbitrary_bytes_never_panic_the_decoder() {
    runner(20_000)
        .run(&proptest::collection::vec(any::<u8>(), 0..256), |bytes| {
            let _ = decode_request(&bytes);
            let _ = frame::check(&bytes, 1 << 20);
            Ok(())
        })
        .unwrap();
}

#[test]
fn damaged_real_requests_never_panic_the_decoder() {
    // Real requests with a few bytes changed or the tail cut: the inputs most likely to get
    // deep into the decoder before something is wrong.
    let strategy = (
        0..CAPTURES.len(),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        any::<usize>(),
    );
    runner(20_000)
        .run(&strategy, |(which, edits, cut)| {
            let mut bytes = CAPTURES[which][4..].to_vec();
            for (at, value) in edits {
                let i = at % bytes.len();
                bytes[i] = value;
            }
            let len = bytes.len();
            bytes.truncate(len - cut % (len / 2 + 1));
            let _ = decode_request(&bytes);
            Ok(())
        })
        .unwrap();
    // And the captures themselves still decode.
    for capture in CAPTURES {
        decode_request(&capture[4..]).unwrap();
    }
}
