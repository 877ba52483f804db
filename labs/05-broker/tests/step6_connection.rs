//! Step 6: the server over TCP — answers in order, long polls, and survives bad clients.

mod common;

use kafkalab_testkit::within;
use lab04_protocol_codec::frame::frame;
use lab04_protocol_codec::{decode_request, ApiRegistry, Decoder, Encoder, RequestHeader};
use lab05_broker::{server, CoreService, Router, Shared};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request frame: header, then the body that `body` writes.
fn request(
    api_key: i16,
    api_version: i16,
    correlation_id: i32,
    body: impl FnOnce(&mut Encoder),
) -> Vec<u8> {
    let mut e = Encoder::new();
    RequestHeader {
        api_key,
        api_version,
        correlation_id,
        client_id: Some("test".into()),
    }
    .encode(&mut e, &ApiRegistry::core());
    body(&mut e);
    // Sanity: our own request's header decodes.
    decode_request(&e.buf, &ApiRegistry::core()).unwrap();
    frame(&e.into_bytes())
}

/// Reads one response frame; returns its correlation id and body. A broker that never answers
/// fails the test after 20 s, naming the wait, instead of hanging it.
async fn response(stream: &mut TcpStream) -> (i32, Vec<u8>) {
    within(
        "a response frame from the broker (is every whole frame in the buffer answered?)",
        20,
        read_response(stream),
    )
    .await
}

async fn read_response(stream: &mut TcpStream) -> (i32, Vec<u8>) {
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).await.unwrap();
    let mut body = vec![0u8; i32::from_be_bytes(size) as usize];
    stream.read_exact(&mut body).await.unwrap();
    let correlation = i32::from_be_bytes([body[0], body[1], body[2], body[3]]);
    (correlation, body[4..].to_vec())
}

async fn start() -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let broker = common::broker(dir.path());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let shared = Shared::new(broker);
    let router = Router::new().with(CoreService::new(shared.clone()));
    tokio::spawn(server::run(
        listener,
        shared,
        std::sync::Arc::new(router),
        async {
            let _ = stopped.await;
        },
    ));
    (addr, stop, dir)
}

fn produce_body(topic: &str, acks: i16, records: Vec<u8>) -> impl FnOnce(&mut Encoder) {
    let topic = topic.to_string();
    move |e| {
        e.nullable_string(None, false);
        e.i16(acks);
        e.i32(1000);
        e.array_len(Some(1), false);
        e.string(&topic, false);
        e.array_len(Some(1), false);
        e.i32(0);
        e.i32(records.len() as i32);
        e.buf.extend_from_slice(&records);
    }
}

fn fetch_body(topic: &str, offset: i64, max_wait_ms: i32) -> impl FnOnce(&mut Encoder) {
    let topic = topic.to_string();
    move |e| {
        e.i32(-1);
        e.i32(max_wait_ms);
        e.i32(1); // min_bytes
        e.i32(1 << 20);
        e.i8(0);
        e.array_len(Some(1), false);
        e.string(&topic, false);
        e.array_len(Some(1), false);
        e.i32(0);
        e.i64(offset);
        e.i32(1 << 20);
    }
}

fn metadata_body(topic: &str) -> impl FnOnce(&mut Encoder) {
    let topic = topic.to_string();
    move |e| {
        e.array_len(Some(1), false);
        e.string(&topic, false);
        e.bool(true);
    }
}

#[tokio::test]
async fn step6_pipelined_requests_are_answered_in_order() {
    let (addr, _stop, _dir) = start().await;
    let mut c = TcpStream::connect(addr).await.unwrap();
    // Three requests in one write, before reading anything; the middle one wants no answer.
    let mut bytes = request(18, 3, 1, |e| {
        e.string("test", true);
        e.string("1", true);
        e.uvarint(0);
    });
    bytes.extend(request(3, 4, 2, metadata_body("orders")));
    bytes.extend(request(
        0,
        7,
        3,
        produce_body("orders", 0, common::batch(2, "a")),
    ));
    bytes.extend(request(
        0,
        7,
        4,
        produce_body("orders", 1, common::batch(2, "b")),
    ));
    c.write_all(&bytes).await.unwrap();
    assert_eq!(response(&mut c).await.0, 1);
    assert_eq!(response(&mut c).await.0, 2);
    let (correlation, body) = response(&mut c).await;
    assert_eq!(
        correlation, 4,
        "acks=0 gets no response, so the next answer is request 4's"
    );
    // topic, partition 0, no error, base offset 2: the acks=0 batch was stored first.
    let mut d = Decoder::new(&body);
    assert_eq!(d.array_len(false).unwrap(), Some(1));
    assert_eq!(d.string(false).unwrap(), "orders");
    assert_eq!(d.array_len(false).unwrap(), Some(1));
    assert_eq!(
        (d.i32().unwrap(), d.i16().unwrap(), d.i64().unwrap()),
        (0, 0, 2)
    );
}

#[tokio::test]
async fn step6_a_waiting_fetch_wakes_up_when_records_arrive() {
    let (addr, _stop, _dir) = start().await;
    let mut consumer = TcpStream::connect(addr).await.unwrap();
    consumer
        .write_all(&request(3, 4, 1, metadata_body("orders")))
        .await
        .unwrap();
    response(&mut consumer).await;
    // Nothing to read yet: the broker holds this fetch for up to a minute.
    consumer
        .write_all(&request(1, 4, 2, fetch_body("orders", 0, 60_000)))
        .await
        .unwrap();
    let mut producer = TcpStream::connect(addr).await.unwrap();
    let batch = common::batch(3, "late");
    producer
        .write_all(&request(0, 7, 1, produce_body("orders", 1, batch.clone())))
        .await
        .unwrap();
    response(&mut producer).await;
    // The fetch returns with the new batch, long before its minute is up.
    let (correlation, body) = within(
        "the long-polled Fetch response: an append must wake the waiting fetch",
        50,
        read_response(&mut consumer),
    )
    .await;
    assert_eq!(correlation, 2);
    let mut d = Decoder::new(&body);
    d.i32().unwrap(); // throttle
    d.array_len(false).unwrap();
    d.string(false).unwrap();
    d.array_len(false).unwrap();
    d.i32().unwrap();
    assert_eq!(d.i16().unwrap(), 0);
    let _ = (d.i64(), d.i64(), d.array_len(false));
    let records = d.nullable_bytes(false).unwrap().unwrap();
    assert_eq!(records.len(), batch.len());
}

#[tokio::test]
async fn step6_a_bad_client_is_disconnected_and_others_carry_on() {
    let (addr, _stop, _dir) = start().await;
    let mut good = TcpStream::connect(addr).await.unwrap();
    good.write_all(&request(3, 4, 1, metadata_body("orders")))
        .await
        .unwrap();
    response(&mut good).await;

    for garbage in [
        vec![0x7f, 0xff, 0xff, 0xff],
        vec![0, 0, 0, 3, 1, 2, 3],
        vec![0xff; 4],
    ] {
        let mut bad = TcpStream::connect(addr).await.unwrap();
        bad.write_all(&garbage).await.unwrap();
        let mut rest = Vec::new();
        let n = bad.read_to_end(&mut rest).await.unwrap_or(0);
        assert_eq!(n, 0, "the broker closes the connection without an answer");
    }
    // A request for an API this broker does not have: closed too.
    let mut odd = TcpStream::connect(addr).await.unwrap();
    odd.write_all(&frame(&[0, 99, 0, 0, 0, 0, 0, 1, 0xff, 0xff]))
        .await
        .unwrap();
    let mut rest = Vec::new();
    assert_eq!(odd.read_to_end(&mut rest).await.unwrap_or(0), 0);

    good.write_all(&request(
        0,
        7,
        2,
        produce_body("orders", 1, common::batch(1, "still")),
    ))
    .await
    .unwrap();
    assert_eq!(
        response(&mut good).await.0,
        2,
        "the good client is still served"
    );
}
