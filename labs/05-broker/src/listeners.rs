//! Named listeners, as Kafka 2.6 has them: `listeners` lists every socket the broker accepts
//! on (`INTERNAL://0.0.0.0:9092,EXTERNAL://0.0.0.0:19091`), `advertised.listeners` the address
//! clients are told for each name, `listener.security.protocol.map` the protocol each name
//! speaks, `inter.broker.listener.name` the one brokers use between themselves.
//!
//! Why several: a client connects to whatever address it is *told*, not to the one it first
//! dialled. A broker inside a Docker network is `kafka01:9092` to its neighbours and
//! `127.0.0.1:19091` to the host; one advertised address cannot be right for both. So each
//! connection remembers the listener it arrived on, and Metadata and FindCoordinator answer
//! with the addresses *of that listener* (Kafka's `RequestChannel.Request.context.listenerName`).
//!
//! The connection's listener reaches the handlers through a task-local ([`current`]): every
//! connection is served by its own task (`server.rs`), so the name set around that task is the
//! one of every request it answers, and no handler signature of any lab has to change.

use std::collections::BTreeMap;
use std::future::Future;

use crate::error::Result;
use crate::properties::ServerProperties;

/// The only security protocol this broker speaks; SSL and SASL are not built.
pub const PLAINTEXT: &str = "PLAINTEXT";

/// One listener: where it accepts, and what clients arriving on it are told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// `INTERNAL`, `EXTERNAL`, or `PLAINTEXT` when it is named after its protocol.
    pub name: String,
    /// The address to bind; `0.0.0.0` for every interface.
    pub host: String,
    pub port: u16,
    /// From `advertised.listeners`, or the listener's own address (`localhost` for every
    /// interface) when that key does not name it.
    pub advertised_host: String,
    pub advertised_port: u16,
    /// From `listener.security.protocol.map`: always PLAINTEXT here.
    pub security_protocol: String,
}

/// `NAME://host:port` → (NAME, host, port); an empty host means every interface.
fn parse_one(entry: &str) -> std::result::Result<(String, String, u16), String> {
    let (name, rest) = entry
        .split_once("://")
        .ok_or_else(|| format!("`{entry}` is not NAME://host:port"))?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("`{entry}` has no port"))?;
    let port = port
        .parse()
        .map_err(|_| format!("`{port}` is not a port"))?;
    // `[::1]:9092`: the brackets only keep the address's colons apart from the port's.
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok((name.trim().to_uppercase(), host.to_string(), port))
}

/// A comma-separated list of `NAME://host:port`, names unique, in the file's order.
fn parse_list(value: &str) -> std::result::Result<Vec<(String, String, u16)>, String> {
    let mut seen = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = parse_one(entry)?;
        if seen.iter().any(|(n, _, _): &(String, _, _)| *n == parsed.0) {
            return Err(format!(
                "the listener name `{}` appears twice; each listener needs its own name",
                parsed.0
            ));
        }
        seen.push(parsed);
    }
    if seen.is_empty() {
        return Err("empty: name at least one listener, e.g. PLAINTEXT://:9092".into());
    }
    Ok(seen)
}

/// `listener.security.protocol.map`: `NAME:PROTOCOL,…`. Without it, Kafka's default maps each
/// protocol name to itself, so only a listener named after a protocol works.
fn protocol_map(p: &ServerProperties) -> Result<Option<BTreeMap<String, String>>> {
    let key = "listener.security.protocol.map";
    let Some(value) = p.get(key) else {
        return Ok(None);
    };
    let mut map = BTreeMap::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, protocol) = entry
            .split_once(':')
            .ok_or_else(|| p.invalid(key, format!("`{entry}` is not NAME:PROTOCOL")))?;
        map.insert(name.trim().to_uppercase(), protocol.trim().to_uppercase());
    }
    Ok(Some(map))
}

/// Every listener of `listeners` (or `default` without the key), with its advertised address
/// and protocol, and the name of the inter-broker listener.
pub fn from_properties(p: &ServerProperties, default: Listener) -> Result<(Vec<Listener>, String)> {
    let bound = match p.get("listeners") {
        Some(v) => parse_list(v).map_err(|r| p.invalid("listeners", r))?,
        None => vec![(default.name.clone(), default.host.clone(), default.port)],
    };
    let advertised = match p.get("advertised.listeners") {
        Some(v) => parse_list(v).map_err(|r| p.invalid("advertised.listeners", r))?,
        None => Vec::new(),
    };
    if let Some((name, _, _)) = advertised
        .iter()
        .find(|(a, _, _)| !bound.iter().any(|(b, _, _)| a == b))
    {
        return Err(p.invalid(
            "advertised.listeners",
            format!("`{name}` is not one of `listeners`"),
        ));
    }
    let map = protocol_map(p)?;
    let mut listeners = Vec::new();
    for (name, host, port) in bound {
        let security_protocol = match &map {
            Some(map) => map.get(&name).cloned().ok_or_else(|| {
                p.invalid(
                    "listener.security.protocol.map",
                    format!("has no protocol for the listener `{name}`"),
                )
            })?,
            None if ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"].contains(&name.as_str()) => {
                name.clone()
            }
            None => {
                return Err(p.invalid(
                    "listeners",
                    format!(
                        "the listener `{name}` is not a protocol name; \
                         set listener.security.protocol.map, e.g. {name}:PLAINTEXT"
                    ),
                ))
            }
        };
        if security_protocol != PLAINTEXT {
            let key = if map.is_some() {
                "listener.security.protocol.map"
            } else {
                "listeners"
            };
            return Err(p.invalid(
                key,
                format!(
                    "the listener `{name}` speaks {security_protocol}, \
                     but this broker speaks PLAINTEXT only (no TLS or SASL)"
                ),
            ));
        }
        let (advertised_host, advertised_port) =
            match advertised.iter().find(|(a, _, _)| *a == name) {
                Some((_, h, port)) => (h.clone(), *port),
                None => match host.as_str() {
                    "" | "0.0.0.0" => ("localhost".to_string(), port),
                    h => (h.to_string(), port),
                },
            };
        let host = if host.is_empty() {
            "0.0.0.0".to_string()
        } else {
            host
        };
        listeners.push(Listener {
            name,
            host,
            port,
            advertised_host,
            advertised_port,
            security_protocol,
        });
    }
    // Kafka: without the key, brokers talk over the listener of security.inter.broker.protocol
    // (PLAINTEXT); a file that names its listeners otherwise must say which one.
    let inter = match p.get("inter.broker.listener.name") {
        Some(name) => name.trim().to_uppercase(),
        None if listeners.iter().any(|l| l.name == PLAINTEXT) => PLAINTEXT.to_string(),
        None => listeners[0].name.clone(),
    };
    if !listeners.iter().any(|l| l.name == inter) {
        return Err(p.invalid(
            "inter.broker.listener.name",
            format!("`{inter}` is not one of `listeners`"),
        ));
    }
    Ok((listeners, inter))
}

tokio::task_local! {
    /// The name of the listener the current connection arrived on.
    static CURRENT: String;
}

/// Runs `connection` (one connection's task) as arrived on the listener `name`.
pub async fn serve_on<F: Future>(name: String, connection: F) -> F::Output {
    CURRENT.scope(name, connection).await
}

/// The listener the request being answered arrived on; `None` outside a connection's task
/// (a test calling a handler directly, a timer).
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}
