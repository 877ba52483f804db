//! Given: the asking side of ControlledShutdown and ElectLeaders — one request to the
//! controller over TCP — and a broker's controlled shutdown (Kafka 2.6's
//! `KafkaServer.controlledShutdown`):
//!
//! ```text
//! SIGTERM → find the controller (metadata cache: controller id → endpoint)
//!         → ControlledShutdown(broker id, broker epoch)
//!         → remaining partitions? wait controlled.shutdown.retry.backoff.ms, ask again
//!           (at most controlled.shutdown.max.retries times) → stop the broker
//! ```
//! The broker keeps serving meanwhile: the controller's LeaderAndIsr and UpdateMetadata that
//! move its leaderships away reach it like any other request.

use std::time::Duration;

use lab04_protocol_codec::{frame, ApiRegistry, ApiSpec, Decoder, Encoder, RequestHeader};
use lab11_controller::ControllerRequestsService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::messages::controlled_shutdown::{
    self, ControlledShutdownRequest, ControlledShutdownResponse,
};
use crate::messages::elect_leaders::{self, ElectLeadersRequest, ElectLeadersResponse};
use crate::messages::FAILOVER_APIS;

/// The longest one request may take (Kafka's `request.timeout.ms` is 30 s).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A response larger than this is refused.
const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// `controlled.shutdown.*` of `server.properties`, Kafka 2.6's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlledShutdownConfig {
    /// `controlled.shutdown.enable` (true).
    pub enable: bool,
    /// `controlled.shutdown.max.retries` (3).
    pub max_retries: u32,
    /// `controlled.shutdown.retry.backoff.ms` (5000).
    pub retry_backoff: Duration,
}

impl Default for ControlledShutdownConfig {
    fn default() -> Self {
        ControlledShutdownConfig {
            enable: true,
            max_retries: 3,
            retry_backoff: Duration::from_millis(5000),
        }
    }
}

/// Sends `body` (encoded at `version` by `encode`) as API `spec` to `address`, and returns the
/// response body after the header. Errors are for the log: the caller retries or gives up.
/// Lab 14's transaction coordinator sends its WriteTxnMarkers with it too.
pub async fn exchange(
    address: &str,
    spec: ApiSpec,
    version: i16,
    encode: impl FnOnce(&mut Encoder),
) -> Result<Vec<u8>, String> {
    let work = async {
        let mut stream = TcpStream::connect(address)
            .await
            .map_err(|e| format!("cannot connect to {address}: {e}"))?;
        let mut apis = ApiRegistry::new();
        for s in FAILOVER_APIS {
            apis.register(s);
        }
        apis.register(spec);
        let mut e = Encoder::new();
        RequestHeader {
            api_key: spec.key,
            api_version: version,
            correlation_id: 1,
            client_id: Some("kafkalab-failover".to_string()),
        }
        .encode(&mut e, &apis);
        encode(&mut e);
        let io = |e: std::io::Error| format!("{address}: {e}");
        stream
            .write_all(&frame::frame(&e.into_bytes()))
            .await
            .map_err(io)?;
        let mut size = [0u8; 4];
        stream.read_exact(&mut size).await.map_err(io)?;
        let size = i32::from_be_bytes(size);
        if size < 4 || size as usize > MAX_RESPONSE_BYTES {
            return Err(format!("{address} answered a response of {size} bytes"));
        }
        let mut body = vec![0u8; size as usize];
        stream.read_exact(&mut body).await.map_err(io)?;
        Ok(body)
    };
    tokio::time::timeout(REQUEST_TIMEOUT, work)
        .await
        .map_err(|_| format!("{address} did not answer within {REQUEST_TIMEOUT:?}"))?
}

/// Decodes a response body: after the correlation id, the header's tag section for flexible
/// versions, then `decode`.
pub fn decode_body<T>(
    body: &[u8],
    spec: ApiSpec,
    version: i16,
    decode: impl FnOnce(&mut Decoder<'_>) -> lab04_protocol_codec::Result<T>,
) -> Result<T, String> {
    let mut d = Decoder::new(&body[4..]);
    if spec.is_flexible(version) {
        d.skip_tagged_fields().map_err(|e| e.to_string())?;
    }
    decode(&mut d).map_err(|e| e.to_string())
}

/// One ControlledShutdown (v3) to the controller at `address`.
pub async fn send_controlled_shutdown(
    address: &str,
    request: &ControlledShutdownRequest,
) -> Result<ControlledShutdownResponse, String> {
    let version = controlled_shutdown::SPEC.max;
    let body = exchange(address, controlled_shutdown::SPEC, version, |e| {
        request.encode(e, version)
    })
    .await?;
    decode_body(&body, controlled_shutdown::SPEC, version, |d| {
        ControlledShutdownResponse::decode(d, version)
    })
}

/// One ElectLeaders (v2) to the controller at `address`.
pub async fn send_elect_leaders(
    address: &str,
    request: &ElectLeadersRequest,
) -> Result<ElectLeadersResponse, String> {
    let version = elect_leaders::SPEC.max;
    let body = exchange(address, elect_leaders::SPEC, version, |e| {
        request.encode(e, version)
    })
    .await?;
    decode_body(&body, elect_leaders::SPEC, version, |d| {
        ElectLeadersResponse::decode(d, version)
    })
}

/// The controller's address as this broker's metadata cache knows it.
fn controller_address(service: &ControllerRequestsService) -> Option<String> {
    let cache = service.cache();
    let broker = cache.view.live_brokers.get(&cache.controller_id)?;
    let endpoint = broker
        .endpoints
        .iter()
        .find(|e| e.listener == cache.listener)
        .or(broker.endpoints.first())?;
    Some(format!("{}:{}", endpoint.host, endpoint.port))
}

/// Whether some remaining partition has another in-sync replica that the metadata cache
/// lists as a live broker: only then can a retry move it.
fn any_other_in_sync(service: &ControllerRequestsService, r: &ControlledShutdownResponse) -> bool {
    let cache = service.cache();
    let me = cache.view.broker_id;
    r.remaining_partitions.iter().any(|p| {
        let tp = lab11_controller::TopicPartition::new(&p.topic_name, p.partition_index);
        cache.view.metadata.get(&tp).is_some_and(|state| {
            state
                .isr
                .iter()
                .any(|b| *b != me && cache.view.live_brokers.contains_key(b))
        })
    })
}

/// `KafkaServer.controlledShutdown`: asks the controller until it answers that this broker
/// leads nothing replicated any more, at most `1 + max_retries` times. Returns whether it
/// succeeded; the broker stops either way (Kafka logs "Proceeding to do an unclean shutdown").
pub async fn controlled_shutdown(
    service: &ControllerRequestsService,
    broker_epoch: i64,
    config: &ControlledShutdownConfig,
) -> bool {
    if !config.enable {
        return false;
    }
    let broker_id = service.cache().view.broker_id;
    for attempt in 0..=config.max_retries {
        if attempt > 0 {
            tokio::time::sleep(config.retry_backoff).await;
        }
        let Some(address) = controller_address(service) else {
            tracing::warn!("controlled shutdown: no controller known yet");
            continue;
        };
        let request = ControlledShutdownRequest {
            broker_id,
            broker_epoch,
        };
        match send_controlled_shutdown(&address, &request).await {
            Ok(r) if r.error_code == 0 && r.remaining_partitions.is_empty() => {
                tracing::info!("controlled shutdown succeeded (controller at {address})");
                return true;
            }
            Ok(r) if r.error_code == 0 && !any_other_in_sync(service, &r) => {
                // A shortcut Kafka 2.6 does not take (it retries anyway): no other in-sync
                // replica of these partitions is alive, so asking again cannot move them.
                tracing::warn!(
                    "controlled shutdown: {} partitions have no other live in-sync replica; \
                     proceeding to shut down",
                    r.remaining_partitions.len()
                );
                return false;
            }
            Ok(r) => tracing::warn!(
                "controlled shutdown: error code {}, {} partitions still led here; retrying",
                r.error_code,
                r.remaining_partitions.len()
            ),
            Err(e) => tracing::warn!("controlled shutdown: {e}; retrying"),
        }
    }
    tracing::warn!("controlled shutdown failed; proceeding to do an unclean shutdown");
    false
}
