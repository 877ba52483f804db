//! One client connection to one broker, speaking through the `kafka-protocol` crate: an
//! independent codec generated from Kafka's own message specs. The broker side of this course
//! is written by hand (labs 04–06); the client side uses this crate, so every test in which
//! our client talks to our broker also checks our codec against another implementation.
//!
//! A connection first asks ApiVersions and then uses, per API, the highest version both sides
//! know — what every Kafka client does. Requests may be pipelined: [`BrokerConnection::send`]
//! writes and returns at once, [`BrokerConnection::receive`] reads the answers in order.
//!
//! The frames themselves — the 4-byte size, a whole frame at a time — are lab 04's framing in
//! lab 05's [`Connection`], the same code the broker reads requests with.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::messages::{ApiVersionsRequest, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use lab04_protocol_codec::frame::frame;
use lab05_broker::Connection;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;

use crate::error::{Error, Result};

/// The largest response this client accepts (a fetch of `fetch.max.bytes` plus headers).
pub const MAX_RESPONSE_BYTES: usize = 200 << 20;

/// Reads whole response frames. Cancel-safe (see [`Connection::read_frame`]): a frame is never
/// torn when the future is dropped inside a `select!`.
pub struct FrameReader {
    reader: Connection<OwnedReadHalf>,
}

impl FrameReader {
    /// The next whole frame, without its size prefix.
    pub async fn next_frame(&mut self) -> std::io::Result<Bytes> {
        match self.reader.read_frame().await {
            Ok(Some(frame)) => Ok(frame.freeze()),
            Ok(None) => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the broker closed the connection",
            )),
            Err(e) => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                e.to_string(),
            )),
        }
    }
}

pub struct BrokerConnection {
    addr: String,
    client_id: StrBytes,
    /// `None` once [`BrokerConnection::spawn_reader`] gave it to a task.
    reader: Option<FrameReader>,
    writer: Connection<OwnedWriteHalf>,
    next_correlation_id: i32,
    /// API key → (min, max) the broker speaks.
    versions: HashMap<i16, (i16, i16)>,
    /// Requests sent and not yet answered: (correlation id, API key, version).
    in_flight: VecDeque<(i32, i16, i16)>,
    write_buf: BytesMut,
}

impl BrokerConnection {
    /// Connects to `addr` (`host:port`) and learns which versions the broker speaks.
    pub async fn connect(
        addr: &str,
        client_id: &str,
        timeout: Duration,
    ) -> Result<BrokerConnection> {
        let connect_error = |source| Error::Connect {
            addr: addr.to_string(),
            source,
        };
        let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
            .await
            .map_err(|_| {
                connect_error(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "timed out",
                ))
            })?
            .map_err(connect_error)?;
        let _ = stream.set_nodelay(true);
        let (reader, writer) = stream.into_split();
        let mut connection = BrokerConnection {
            addr: addr.to_string(),
            client_id: StrBytes::from_string(client_id.to_string()),
            reader: Some(FrameReader {
                reader: Connection::new(reader, MAX_RESPONSE_BYTES, addr),
            }),
            writer: Connection::new(writer, MAX_RESPONSE_BYTES, addr),
            next_correlation_id: 1,
            versions: HashMap::new(),
            in_flight: VecDeque::new(),
            write_buf: BytesMut::new(),
        };
        // ApiVersions v3 is what Kafka 2.4+ and our broker speak; the first version of every
        // conversation must be one the broker knows, so ask for it explicitly.
        let request = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("kafkalab"))
            .with_client_software_version(StrBytes::from_static_str(env!("CARGO_PKG_VERSION")));
        let id = connection.send_at(&request, 3).await?;
        let response = connection
            .receive::<kafka_protocol::messages::ApiVersionsResponse>(id)
            .await?;
        if response.error_code != 0 {
            return Err(connection.wire(format!(
                "ApiVersions failed with error {}",
                response.error_code
            )));
        }
        connection.versions = response
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        Ok(connection)
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    fn wire(&self, reason: String) -> Error {
        Error::Wire {
            addr: self.addr.clone(),
            reason,
        }
    }

    /// The version to use for `R`: the highest both this client and the broker know.
    pub fn version<R: Request>(&self) -> Result<i16> {
        let (min, max) = self
            .versions
            .get(&R::KEY)
            .copied()
            .ok_or_else(|| self.wire(format!("the broker does not support API {}", R::KEY)))?;
        let ours = R::VERSIONS;
        let version = max.min(ours.max);
        if version < min.max(ours.min) {
            return Err(self.wire(format!(
                "no common version for API {}: broker {min}–{max}, client {}–{}",
                R::KEY,
                ours.min,
                ours.max
            )));
        }
        Ok(version)
    }

    /// Sends `request` at the negotiated version; returns its correlation id.
    pub async fn send<R: Request>(&mut self, request: &R) -> Result<(i32, i16)> {
        let version = self.version::<R>()?;
        let id = self.send_at(request, version).await?;
        Ok((id, version))
    }

    /// Sends `request` at `version` without waiting for the answer.
    pub async fn send_at<R: Request>(&mut self, request: &R, version: i16) -> Result<i32> {
        let id = self.next_correlation_id;
        self.next_correlation_id = self.next_correlation_id.wrapping_add(1);
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(id)
            .with_client_id(Some(self.client_id.clone()));
        let mut body = std::mem::take(&mut self.write_buf);
        body.clear();
        let encoded = header
            .encode(&mut body, R::header_version(version))
            .and_then(|()| request.encode(&mut body, version));
        if let Err(e) = encoded {
            return Err(self.wire(format!("cannot encode API {} v{version}: {e}", R::KEY)));
        }
        let written = self.writer.write_frame(&frame(&body)).await;
        self.write_buf = body;
        written.map_err(|e| self.wire(format!("write failed: {e}")))?;
        self.in_flight.push_back((id, R::KEY, version));
        Ok(id)
    }

    /// Sends a request that gets no answer (Produce with acks 0).
    pub async fn send_no_answer<R: Request>(&mut self, request: &R) -> Result<()> {
        self.send(request).await?;
        self.in_flight.pop_back();
        Ok(())
    }

    /// Reads the answer to the oldest request in flight, which must be `id`.
    pub async fn receive<T: Decodable + HeaderVersion>(&mut self, id: i32) -> Result<T> {
        let Some(reader) = self.reader.as_mut() else {
            return Err(self.wire("this connection's answers go to a reader task".into()));
        };
        let frame = reader.next_frame().await.map_err(|e| Error::Wire {
            addr: self.addr.clone(),
            reason: e.to_string(),
        })?;
        let (got, body) = self.decode::<T>(frame)?;
        if got != id {
            return Err(self.wire(format!(
                "answers come in request order: got {got}, expected {id}"
            )));
        }
        Ok(body)
    }

    /// Decodes `frame` as the answer to the oldest request in flight; returns its correlation id.
    pub fn decode<T: Decodable + HeaderVersion>(&mut self, frame: Bytes) -> Result<(i32, T)> {
        let Some((id, key, version)) = self.in_flight.pop_front() else {
            return Err(self.wire("an answer arrived for no request".into()));
        };
        let mut bytes = frame;
        let header = ResponseHeader::decode(&mut bytes, T::header_version(version))
            .map_err(|e| self.wire(format!("bad response header for API {key}: {e}")))?;
        if header.correlation_id != id {
            return Err(self.wire(format!(
                "response for correlation id {} where {id} was expected",
                header.correlation_id
            )));
        }
        let body = T::decode(&mut bytes, version)
            .map_err(|e| self.wire(format!("bad response body for API {key} v{version}: {e}")))?;
        if bytes.has_remaining() {
            return Err(self.wire(format!(
                "{} bytes left after API {key} v{version} response",
                bytes.remaining()
            )));
        }
        Ok((id, body))
    }

    /// Hands the reading side to a task that sends every frame to `frames`, tagged `tag`. For a
    /// producer, which writes requests and reads answers at the same time.
    pub fn spawn_reader<K: Clone + Send + 'static>(
        &mut self,
        tag: K,
        frames: tokio::sync::mpsc::UnboundedSender<(K, std::io::Result<Bytes>)>,
    ) {
        if let Some(mut reader) = self.reader.take() {
            tokio::spawn(async move {
                loop {
                    let frame = reader.next_frame().await;
                    let failed = frame.is_err();
                    if frames.send((tag.clone(), frame)).is_err() || failed {
                        break;
                    }
                }
            });
        }
    }

    /// Sends and waits for the answer.
    pub async fn call<R: Request>(&mut self, request: &R) -> Result<R::Response> {
        let (id, _) = self.send(request).await?;
        self.receive::<R::Response>(id).await
    }

    /// Requests sent and not yet answered.
    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }
}

/// Turns a response's error code into an error naming what failed.
pub fn check(what: impl Into<String>, code: i16, message: Option<&StrBytes>) -> Result<()> {
    if code == 0 {
        return Ok(());
    }
    Err(Error::Kafka {
        what: what.into(),
        code,
        name: error_name(code),
        message: message.map(|m| m.to_string()),
    })
}

/// The name Kafka gives an error code (`Errors` enum), for messages a person can act on.
pub fn error_name(code: i16) -> &'static str {
    match code {
        -1 => "UNKNOWN_SERVER_ERROR",
        1 => "OFFSET_OUT_OF_RANGE",
        2 => "CORRUPT_MESSAGE",
        3 => "UNKNOWN_TOPIC_OR_PARTITION",
        5 => "LEADER_NOT_AVAILABLE",
        6 => "NOT_LEADER_OR_FOLLOWER",
        7 => "REQUEST_TIMED_OUT",
        10 => "MESSAGE_TOO_LARGE",
        12 => "OFFSET_METADATA_TOO_LARGE",
        15 => "COORDINATOR_NOT_AVAILABLE",
        16 => "NOT_COORDINATOR",
        17 => "INVALID_TOPIC_EXCEPTION",
        22 => "ILLEGAL_GENERATION",
        23 => "INCONSISTENT_GROUP_PROTOCOL",
        24 => "INVALID_GROUP_ID",
        25 => "UNKNOWN_MEMBER_ID",
        26 => "INVALID_SESSION_TIMEOUT",
        27 => "REBALANCE_IN_PROGRESS",
        35 => "UNSUPPORTED_VERSION",
        36 => "TOPIC_ALREADY_EXISTS",
        37 => "INVALID_PARTITIONS",
        38 => "INVALID_REPLICATION_FACTOR",
        39 => "INVALID_REPLICA_ASSIGNMENT",
        40 => "INVALID_CONFIG",
        41 => "NOT_CONTROLLER",
        42 => "INVALID_REQUEST",
        44 => "POLICY_VIOLATION",
        68 => "NON_EMPTY_GROUP",
        69 => "GROUP_ID_NOT_FOUND",
        79 => "MEMBER_ID_REQUIRED",
        _ => "see Kafka's protocol error codes",
    }
}
