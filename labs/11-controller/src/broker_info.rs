//! `/brokers/ids/<id>`: a broker's registration (`BrokerIdZNode`, `BrokerInfo`).
//!
//! A broker creates this *ephemeral* znode when it starts; ZooKeeper deletes it when the
//! broker's session ends. So the children of `/brokers/ids` are exactly the live brokers, and
//! the controller learns of a death by a child watch. The znode's `czxid` (the transaction that
//! created it) is the broker's *epoch*: a restarted broker has a bigger one, which lets it
//! reject requests meant for its previous life (`STALE_BROKER_EPOCH`).
//!
//! Kafka 2.6 writes version 4 (2.7 adds `features` in version 5):
//!
//! ```text
//! {"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},
//!  "endpoints":["PLAINTEXT://kafka01:9092"],"jmx_port":-1,"host":"kafka01",
//!  "timestamp":"1596000000000","port":9092,"version":4}
//! ```
//!
//! `host` and `port` repeat the first PLAINTEXT endpoint for clients older than 0.10 (null and
//! -1 when there is none). `rack` appears only when `broker.rack` is set.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One listener a broker advertises (`kafka.cluster.EndPoint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndPoint {
    pub listener_name: String,
    pub host: String,
    pub port: i32,
    /// `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`.
    pub security_protocol: String,
}

impl EndPoint {
    /// `LISTENER://host:port` (IPv6 hosts in brackets), as in `endpoints`.
    pub fn connection_string(&self) -> String {
        if self.host.contains(':') {
            format!("{}://[{}]:{}", self.listener_name, self.host, self.port)
        } else {
            format!("{}://{}:{}", self.listener_name, self.host, self.port)
        }
    }

    /// Kafka's id of the security protocol, as UpdateMetadata's `SecurityProtocol` field sends it.
    pub fn security_protocol_id(&self) -> i16 {
        match self.security_protocol.as_str() {
            "PLAINTEXT" => 0,
            "SSL" => 1,
            "SASL_PLAINTEXT" => 2,
            "SASL_SSL" => 3,
            _ => -1,
        }
    }
}

/// The security protocols Kafka knows; a listener named like one needs no map entry.
const SECURITY_PROTOCOLS: [&str; 4] = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

/// A broker's registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    /// `broker.id` (the znode's name, not in the JSON).
    pub id: i32,
    pub endpoints: Vec<EndPoint>,
    pub rack: Option<String>,
    /// -1 when JMX is off.
    pub jmx_port: i32,
    /// When the broker registered, in ms since the epoch (a JSON string).
    pub timestamp_ms: i64,
    /// The JSON version: 4 for Kafka 0.10.0 to 2.6.
    pub version: i32,
}

#[derive(Serialize, Deserialize)]
struct BrokerJson {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    listener_security_protocol_map: Option<BTreeMap<String, String>>,
    endpoints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rack: Option<String>,
    jmx_port: i32,
    host: Option<String>,
    timestamp: String,
    port: i32,
    version: i32,
}

/// Parses `LISTENER://host:port` (`EndPoint.createEndPoint`): the protocol comes from the map,
/// or, without a map, the listener name must itself be a security protocol.
fn parse_endpoint(s: &str, protocols: Option<&BTreeMap<String, String>>) -> Result<EndPoint> {
    // BEGIN SOLUTION step 1: split LISTENER://host:port (brackets around IPv6) and look up the protocol
    // ko: LISTENER://host:port를 나누고(IPv6는 대괄호) 보안 프로토콜을 찾으세요
    let bad = |reason: &str| Error::BadEndpoint {
        endpoint: s.to_string(),
        reason: reason.to_string(),
    };
    let (listener, rest) = s
        .split_once("://")
        .ok_or_else(|| bad("expected LISTENER://host:port"))?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| bad("expected LISTENER://host:port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: i32 = port.parse().map_err(|_| bad("the port is not a number"))?;
    let security_protocol = match protocols {
        Some(map) => map
            .get(listener)
            .cloned()
            .ok_or_else(|| bad("listener_security_protocol_map has no entry for this listener"))?,
        None if SECURITY_PROTOCOLS.contains(&listener) => listener.to_string(),
        None => {
            return Err(bad(
                "no listener_security_protocol_map and the listener is not a protocol name",
            ))
        }
    };
    Ok(EndPoint {
        listener_name: listener.to_string(),
        host: host.to_string(),
        port,
        security_protocol,
    })
    // END SOLUTION
}

impl BrokerInfo {
    /// The endpoint old clients use: the first PLAINTEXT one.
    pub fn plaintext_endpoint(&self) -> Option<&EndPoint> {
        self.endpoints
            .iter()
            .find(|e| e.security_protocol == "PLAINTEXT")
    }

    /// The JSON of `version` 4 (see the module doc for the order).
    pub fn encode(&self) -> Vec<u8> {
        // BEGIN SOLUTION step 1: fill the JSON fields from the endpoints, host and port from the first PLAINTEXT one
        // ko: 엔드포인트로 JSON 필드를 채우세요. host와 port는 첫 PLAINTEXT 엔드포인트에서 가져옵니다
        let plaintext = self.plaintext_endpoint();
        let json = BrokerJson {
            listener_security_protocol_map: Some(
                self.endpoints
                    .iter()
                    .map(|e| (e.listener_name.clone(), e.security_protocol.clone()))
                    .collect(),
            ),
            endpoints: self
                .endpoints
                .iter()
                .map(EndPoint::connection_string)
                .collect(),
            rack: self.rack.clone(),
            jmx_port: self.jmx_port,
            host: plaintext.map(|e| e.host.clone()),
            timestamp: self.timestamp_ms.to_string(),
            port: plaintext.map_or(-1, |e| e.port),
            version: self.version,
        };
        serde_json::to_vec(&json).expect("strings and numbers always serialize")
        // END SOLUTION
    }

    /// Reads versions 2 to 5 (`features` of version 5 is ignored). `id` is the znode's name.
    pub fn decode(id: i32, bytes: &[u8]) -> Result<BrokerInfo> {
        // BEGIN SOLUTION step 1: parse the JSON, accept versions 2 to 5, parse every endpoint
        // ko: JSON을 파싱하고 version 2~5를 받아들인 뒤 엔드포인트를 모두 파싱하세요
        let json: BrokerJson = serde_json::from_slice(bytes).map_err(|e| Error::BadZnodeData {
            znode: "/brokers/ids/<id>",
            reason: e.to_string(),
        })?;
        if !(2..=5).contains(&json.version) {
            return Err(Error::UnsupportedVersion {
                znode: "/brokers/ids/<id>",
                version: json.version.into(),
            });
        }
        let endpoints = json
            .endpoints
            .iter()
            .map(|e| parse_endpoint(e, json.listener_security_protocol_map.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        let timestamp_ms = json.timestamp.parse().map_err(|_| Error::BadZnodeData {
            znode: "/brokers/ids/<id>",
            reason: "timestamp is not a number".into(),
        })?;
        Ok(BrokerInfo {
            id,
            endpoints,
            rack: json.rack,
            jmx_port: json.jmx_port,
            timestamp_ms,
            version: json.version,
        })
        // END SOLUTION
    }
}
