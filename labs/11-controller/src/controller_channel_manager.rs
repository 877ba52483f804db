//! Given: Kafka's `ControllerChannelManager` — how the active controller's requests reach the
//! brokers.
//!
//! One queue and one tokio task per live broker (Kafka's `RequestSendThread`), its own
//! broker included: the controller talks to itself over TCP like to any other broker, so every
//! broker learns the cluster the same way. A task sends its broker's requests one at a time, in
//! the order the core made them, each with lab 04's request header (client id
//! `controller-<id>`), waits for the answer, decodes it with `messages` and hands it to the
//! session task as a [`ChannelResponse`].
//!
//! ```text
//! controller core --Ready.requests--> queue[2] --> send thread 2 --TCP--> broker 2
//!        ^                                                |
//!        '--------- BrokerResponse <---- mpsc <-----------'
//! ```
//!
//! A broker that cannot be reached is retried with a backoff that doubles up to a second,
//! the same request again, for as long as the broker is in the live set (Kafka retries until
//! the broker is removed). When `/brokers/ids` loses the broker, its queue and task go.

use std::collections::BTreeMap;
use std::time::Duration;

use lab04_protocol_codec::{frame, ApiRegistry, ApiSpec, Decoder, Encoder, RequestHeader};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::events::RegisteredBroker;
use crate::messages::{leader_and_isr, stop_replica, update_metadata, CONTROLLER_APIS};
use crate::requests::{
    ControllerRequest, ControllerResponse, LeaderAndIsrResponse, StopReplicaResponse,
    UpdateMetadataResponse,
};

/// The longest a broker gets to answer one request before the connection counts as broken
/// (Kafka's `request.timeout.ms` is 30 s; the labs' brokers answer in milliseconds).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The first and the longest wait before dialing an unreachable broker again.
const BACKOFF_START: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// A response larger than this is refused (Kafka's `socket.request.max.bytes`).
const MAX_RESPONSE_BYTES: usize = lab04_protocol_codec::frame::DEFAULT_MAX_REQUEST_BYTES;

/// A broker's answer, for the session task to step as `BrokerResponse` — if the controller is
/// still active in `controller_epoch` (an answer to a deposed controller's request is stale).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelResponse {
    pub broker_id: i32,
    pub controller_epoch: i32,
    pub response: ControllerResponse,
}

/// One broker's queue and the task that empties it.
struct BrokerChannel {
    /// The registration the channel was made for: a new epoch is a restarted broker, whose
    /// queue (meant for its previous life) goes.
    broker: RegisteredBroker,
    queue: mpsc::UnboundedSender<ControllerRequest>,
    task: JoinHandle<()>,
}

/// The queues of one controller.
pub struct ControllerChannelManager {
    controller_id: i32,
    brokers: BTreeMap<i32, BrokerChannel>,
    responses: mpsc::UnboundedSender<ChannelResponse>,
}

impl ControllerChannelManager {
    /// The manager of controller `controller_id`; answers go to `responses`.
    pub fn new(
        controller_id: i32,
        responses: mpsc::UnboundedSender<ChannelResponse>,
    ) -> ControllerChannelManager {
        ControllerChannelManager {
            controller_id,
            brokers: BTreeMap::new(),
            responses,
        }
    }

    /// Makes the channels match the live brokers: a queue for each new one (or each new
    /// registration), none for a broker that left (`addBroker`/`removeBroker`).
    pub fn set_live_brokers(&mut self, live: &BTreeMap<i32, RegisteredBroker>) {
        let gone: Vec<i32> = self
            .brokers
            .iter()
            .filter(|(id, channel)| live.get(id) != Some(&channel.broker))
            .map(|(id, _)| *id)
            .collect();
        for id in gone {
            self.remove_broker(id);
        }
        for (id, broker) in live {
            if !self.brokers.contains_key(id) {
                self.add_broker(broker.clone());
            }
        }
    }

    /// Queues `request` for `broker_id`. `false` when the broker has no channel (it left, or
    /// has no PLAINTEXT endpoint): the request is dropped, as Kafka drops it.
    pub fn send(&mut self, broker_id: i32, request: ControllerRequest) -> bool {
        match self.brokers.get(&broker_id) {
            Some(channel) => channel.queue.send(request).is_ok(),
            None => false,
        }
    }

    /// Closes every channel: the controller resigned (`onControllerResignation`).
    pub fn shutdown(&mut self) {
        let ids: Vec<i32> = self.brokers.keys().copied().collect();
        for id in ids {
            self.remove_broker(id);
        }
    }

    fn add_broker(&mut self, broker: RegisteredBroker) {
        let id = broker.info.id;
        let Some(endpoint) = broker.info.plaintext_endpoint() else {
            tracing::warn!("broker {id} has no PLAINTEXT endpoint; the controller cannot reach it");
            return;
        };
        let address = if endpoint.host.contains(':') {
            format!("[{}]:{}", endpoint.host, endpoint.port)
        } else {
            format!("{}:{}", endpoint.host, endpoint.port)
        };
        let (queue, requests) = mpsc::unbounded_channel();
        let task = tokio::spawn(request_send_thread(
            SendThread {
                controller_id: self.controller_id,
                broker_id: id,
                address,
                responses: self.responses.clone(),
            },
            requests,
        ));
        self.brokers.insert(
            id,
            BrokerChannel {
                broker,
                queue,
                task,
            },
        );
    }

    fn remove_broker(&mut self, id: i32) {
        if let Some(channel) = self.brokers.remove(&id) {
            // The task may be in the middle of a request: stop it where it is.
            channel.task.abort();
        }
    }
}

impl Drop for ControllerChannelManager {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct SendThread {
    controller_id: i32,
    broker_id: i32,
    address: String,
    responses: mpsc::UnboundedSender<ChannelResponse>,
}

/// Kafka's `RequestSendThread`: one request at a time; a broken connection is dialed again
/// and the same request sent again.
async fn request_send_thread(
    t: SendThread,
    mut requests: mpsc::UnboundedReceiver<ControllerRequest>,
) {
    let client_id = format!("controller-{}", t.controller_id);
    let mut connection: Option<TcpStream> = None;
    let mut correlation_id = 0i32;
    while let Some(request) = requests.recv().await {
        let mut backoff = BACKOFF_START;
        // Ends when the broker answers, when its answer cannot be read (sending it again would
        // not help), or when the manager aborts this task.
        loop {
            let stream = match connection.as_mut() {
                Some(stream) => stream,
                None => match connect(&t.address).await {
                    Ok(stream) => connection.insert(stream),
                    Err(e) => {
                        tracing::debug!(
                            "controller cannot reach broker {} at {}: {e}",
                            t.broker_id,
                            t.address
                        );
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(BACKOFF_MAX);
                        continue;
                    }
                },
            };
            correlation_id = correlation_id.wrapping_add(1);
            let exchange = exchange(stream, &request, correlation_id, &client_id);
            match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
                Ok(Ok(Ok(response))) => {
                    let answer = ChannelResponse {
                        broker_id: t.broker_id,
                        controller_epoch: request.controller_epoch(),
                        response,
                    };
                    if t.responses.send(answer).is_err() {
                        return; // the session task is gone
                    }
                    break;
                }
                Ok(Ok(Err(e))) => {
                    tracing::warn!(
                        "broker {} answered {} with bytes the controller cannot read: {e}",
                        t.broker_id,
                        spec(&request).name
                    );
                    connection = None;
                    break;
                }
                Ok(Err(e)) => {
                    tracing::debug!("connection to broker {} broke: {e}", t.broker_id);
                    connection = None;
                }
                Err(_) => {
                    tracing::warn!(
                        "broker {} did not answer {} within {REQUEST_TIMEOUT:?}",
                        t.broker_id,
                        spec(&request).name
                    );
                    connection = None;
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }
}

async fn connect(address: &str) -> std::io::Result<TcpStream> {
    let stream = tokio::time::timeout(REQUEST_TIMEOUT, TcpStream::connect(address))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// The newest version Kafka 2.6 has: every broker of the labs speaks it (a real controller
/// picks it from `inter.broker.protocol.version`).
fn spec(request: &ControllerRequest) -> ApiSpec {
    match request {
        ControllerRequest::LeaderAndIsr(_) => leader_and_isr::SPEC,
        ControllerRequest::StopReplica(_) => stop_replica::SPEC,
        ControllerRequest::UpdateMetadata(_) => update_metadata::SPEC,
    }
}

/// One request out, its response in. The outer error is the connection's (send again); the
/// inner one is a response that does not decode.
async fn exchange(
    stream: &mut TcpStream,
    request: &ControllerRequest,
    correlation_id: i32,
    client_id: &str,
) -> std::io::Result<lab04_protocol_codec::Result<ControllerResponse>> {
    let spec = spec(request);
    let version = spec.max;
    let mut apis = ApiRegistry::new();
    for s in CONTROLLER_APIS {
        apis.register(s);
    }
    let mut e = Encoder::new();
    RequestHeader {
        api_key: spec.key,
        api_version: version,
        correlation_id,
        client_id: Some(client_id.to_string()),
    }
    .encode(&mut e, &apis);
    match request {
        ControllerRequest::LeaderAndIsr(r) => r.encode(&mut e, version),
        ControllerRequest::StopReplica(r) => r.encode(&mut e, version),
        ControllerRequest::UpdateMetadata(r) => r.encode(&mut e, version),
    }
    stream.write_all(&frame::frame(&e.into_bytes())).await?;
    let mut size = [0u8; 4];
    stream.read_exact(&mut size).await?;
    let size = i32::from_be_bytes(size);
    if size < 0 || size as usize > MAX_RESPONSE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("a response of {size} bytes"),
        ));
    }
    let mut body = vec![0u8; size as usize];
    stream.read_exact(&mut body).await?;
    // One request at a time on the connection: the answer must echo this request's id, or the
    // stream is out of step and only a new connection can help.
    let echoed = body
        .get(..4)
        .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]));
    if echoed != Some(correlation_id) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the answer to request {correlation_id} carries correlation id {echoed:?}"),
        ));
    }
    Ok(decode_response(&body[4..], spec, version))
}

/// After the correlation id: the rest of response header v0 (nothing) or v1 (a tag section,
/// for flexible versions), then the body.
fn decode_response(
    body: &[u8],
    spec: ApiSpec,
    version: i16,
) -> lab04_protocol_codec::Result<ControllerResponse> {
    let mut d = Decoder::new(body);
    if spec.is_flexible(version) {
        d.skip_tagged_fields()?;
    }
    let response = match spec.key {
        4 => ControllerResponse::LeaderAndIsr(LeaderAndIsrResponse::decode(&mut d, version)?),
        5 => ControllerResponse::StopReplica(StopReplicaResponse::decode(&mut d, version)?),
        _ => ControllerResponse::UpdateMetadata(UpdateMetadataResponse::decode(&mut d, version)?),
    };
    Ok(response)
}
