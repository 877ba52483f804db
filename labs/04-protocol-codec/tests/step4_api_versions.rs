//! Step 4: ApiVersions from three real clients, our answer, and the UNSUPPORTED_VERSION path.

use lab04_protocol_codec::{
    decode_request, encode_response, supported_versions, unsupported_response, ApiRegistry,
    ApiRequest, ApiResponse, ApiVersionsRequest, ApiVersionsResponse, Decoder, Encoder, ErrorCode,
};

const KCAT: &[u8] = include_bytes!("data/kcat_api_versions_v3.bin");
const CONFLUENT: &[u8] = include_bytes!("data/confluent_kafka_api_versions_v3.bin");
const KAFKA_PYTHON_V3: &[u8] = include_bytes!("data/kafka_python_api_versions_v3.bin");
const KAFKA_PYTHON_V4: &[u8] = include_bytes!("data/kafka_python_api_versions_v4.bin");

fn software(frame: &[u8]) -> (Option<String>, Option<String>) {
    let request = decode_request(&frame[4..], &ApiRegistry::core()).unwrap();
    let ApiVersionsRequest {
        client_software_name,
        client_software_version,
    } = request.body().unwrap();
    (client_software_name, client_software_version)
}

#[test]
fn step4_real_clients_name_their_software() {
    assert_eq!(
        software(KCAT),
        (Some("librdkafka".into()), Some("2.0.2".into()))
    );
    let (name, version) = software(CONFLUENT);
    assert_eq!(name.as_deref(), Some("confluent-kafka-python"));
    assert!(version.unwrap().starts_with("2.16.1-rdkafka-2.16"));
    assert_eq!(
        software(KAFKA_PYTHON_V3),
        (Some("kafka-python".into()), Some("3.0.12".into()))
    );
    let mut d = Decoder::new(&[]);
    assert_eq!(
        ApiVersionsRequest::decode(&mut d, 0),
        Ok(ApiVersionsRequest::default()),
        "v0-v2 bodies are empty"
    );
}

fn body(response: &ApiVersionsResponse, version: i16) -> Vec<u8> {
    let mut e = Encoder::new();
    response.encode(&mut e, version);
    e.into_bytes()
}

#[test]
fn step4_the_answer_lists_every_supported_range() {
    let response = ApiVersionsResponse::supported();
    let ranges: Vec<u8> = supported_versions()
        .iter()
        .flat_map(|r| {
            [
                r.api_key.to_be_bytes(),
                r.min.to_be_bytes(),
                r.max.to_be_bytes(),
            ]
            .concat()
        })
        .collect();
    let n = supported_versions().len();
    assert!(n >= 5);

    // v0: error, int32 count, the ranges.
    let v0 = [&[0u8, 0][..], &(n as i32).to_be_bytes(), &ranges].concat();
    assert_eq!(body(&response, 0), v0);
    // v1, v2: throttle time after the ranges.
    assert_eq!(body(&response, 1), [&v0[..], &[0, 0, 0, 0]].concat());
    // v3: compact count, a tag section after each range, throttle time, a final tag section.
    let v3_ranges: Vec<u8> = ranges
        .chunks(6)
        .flat_map(|r| [r, &[0u8]].concat())
        .collect();
    let v3 = [&[0u8, 0, n as u8 + 1][..], &v3_ranges, &[0, 0, 0, 0, 0]].concat();
    assert_eq!(body(&response, 3), v3);

    // The whole frame for kcat's request: size, correlation id (header v0), body v3.
    let request = decode_request(&KCAT[4..], &ApiRegistry::core()).unwrap();
    let frame = encode_response(&request.header, &ApiRegistry::core(), |e| {
        response.encode(e, 3)
    });
    assert_eq!(
        frame,
        [
            &((4 + v3.len()) as i32).to_be_bytes()[..],
            &1i32.to_be_bytes(),
            &v3
        ]
        .concat()
    );
}

#[test]
fn step4_a_version_we_do_not_know_gets_unsupported_version_in_v0() {
    // kafka-python 3 opens with ApiVersions v4; the broker speaks 0-3.
    let request = decode_request(&KAFKA_PYTHON_V4[4..], &ApiRegistry::core()).unwrap();
    assert_eq!((request.header.api_version, request.spec), (4, None));
    let answer = unsupported_response(&request.header, &ApiRegistry::core())
        .expect("ApiVersions is always answered");
    let expected_body = body(&ApiVersionsResponse::unsupported_version(), 0);
    assert_eq!(&answer[4..8], &request.header.correlation_id.to_be_bytes());
    assert_eq!(&answer[8..], &expected_body[..]);
    assert_eq!(
        &answer[8..10],
        &ErrorCode::UnsupportedVersion.code().to_be_bytes()
    );

    // Another API at an unknown version cannot be parsed: no answer, close the connection.
    let mut bogus = KAFKA_PYTHON_V4[4..].to_vec();
    bogus[0..2].copy_from_slice(&3i16.to_be_bytes());
    bogus[2..4].copy_from_slice(&99i16.to_be_bytes());
    let request = decode_request(&bogus, &ApiRegistry::core()).unwrap();
    assert_eq!(request.spec, None);
    assert_eq!(
        unsupported_response(&request.header, &ApiRegistry::core()),
        None
    );
}
