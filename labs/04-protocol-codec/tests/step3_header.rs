//! Step 3: request headers v1/v2 from real clients, and response headers v0/v1.

use lab04_protocol_codec::{ApiRegistry, Decoder, Encoder, RequestHeader};

const KCAT_API_VERSIONS: &[u8] = include_bytes!("data/kcat_api_versions_v3.bin");
const KCAT_METADATA: &[u8] = include_bytes!("data/kcat_metadata_v4_orders.bin");
const CK_METADATA: &[u8] = include_bytes!("data/confluent_kafka_metadata_v9_orders.bin");

fn header(frame: &[u8]) -> (RequestHeader, usize) {
    let mut d = Decoder::new(&frame[4..]);
    let h = RequestHeader::decode(&mut d, &ApiRegistry::core()).unwrap();
    (h, frame.len() - 4 - d.remaining())
}

#[test]
fn step3_headers_of_real_clients() {
    // kcat (librdkafka 2.0.2), ApiVersions v3: flexible, so header v2 — its client id is still
    // a classic int16 string, then an empty tagged-field section.
    let (h, size) = header(KCAT_API_VERSIONS);
    assert_eq!(
        h,
        RequestHeader {
            api_key: 18,
            api_version: 3,
            correlation_id: 1,
            client_id: Some("rdkafka".into())
        }
    );
    assert_eq!(size, 2 + 2 + 4 + 2 + 7 + 1);

    // Metadata v4 is not flexible: header v1, no tagged fields.
    let (h, size) = header(KCAT_METADATA);
    assert_eq!((h.api_key, h.api_version, h.correlation_id), (3, 4, 2));
    assert_eq!(size, 2 + 2 + 4 + 2 + 7);

    // confluent-kafka (librdkafka 2.16), Metadata v9: flexible, header v2.
    let (h, size) = header(CK_METADATA);
    assert_eq!(
        (h.api_key, h.api_version, h.client_id.as_deref()),
        (3, 9, Some("kafkalab-capture"))
    );
    assert_eq!(size, 2 + 2 + 4 + 2 + 16 + 1);
}

#[test]
fn step3_response_headers_v0_v1_and_the_api_versions_exception() {
    let bytes = |key, version| {
        let h = RequestHeader {
            api_key: key,
            api_version: version,
            correlation_id: 0x0102_0304,
            client_id: None,
        };
        let mut e = Encoder::new();
        h.encode_response_header(&mut e, &ApiRegistry::core());
        e.into_bytes()
    };
    assert_eq!(bytes(3, 4), [1, 2, 3, 4], "Metadata v4: header v0");
    assert_eq!(
        bytes(3, 9),
        [1, 2, 3, 4, 0],
        "Metadata v9: header v1 with empty tags"
    );
    assert_eq!(
        bytes(18, 3),
        [1, 2, 3, 4],
        "ApiVersions is always answered with header v0"
    );
    assert_eq!(
        bytes(99, 0),
        [1, 2, 3, 4],
        "an unknown API: the classic form"
    );
}

#[test]
fn step3_truncated_headers_are_errors() {
    // The header is the first 18 bytes after the size: any cut before its end is an error.
    for cut in 4..4 + 18 {
        let mut d = Decoder::new(&KCAT_API_VERSIONS[4..cut]);
        assert!(
            RequestHeader::decode(&mut d, &ApiRegistry::core()).is_err(),
            "cut at {cut}"
        );
    }
}
