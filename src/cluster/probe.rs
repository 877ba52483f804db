//! Asking a server whether it serves, the way an operator would: ZooKeeper's `srvr` four-letter
//! word (its `Mode:` line says leader, follower or standalone), and a Kafka ApiVersions request
//! (the first request every Kafka client sends). The runner links no lab, so the one request it
//! needs is written out here by hand: a few bytes, checked against the Kafka protocol guide.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// What ZooKeeper's `srvr` said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZkAnswer {
    /// Nothing listens, or the connection closed without an answer.
    NoAnswer,
    /// The server is up but not in a quorum ("This ZooKeeper instance is not currently serving
    /// requests"): it is looking for a leader.
    NotServing,
    /// `Mode:` leader, follower, standalone, observer.
    Mode(String),
}

fn connect(port: u16) -> Option<TcpStream> {
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let stream = TcpStream::connect_timeout(&address, CONNECT_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(READ_TIMEOUT)).ok()?;
    stream.set_write_timeout(Some(READ_TIMEOUT)).ok()?;
    Some(stream)
}

/// Sends `srvr` to the ZooKeeper on 127.0.0.1:`port` and reads its mode.
pub fn zookeeper(port: u16) -> ZkAnswer {
    let Some(mut stream) = connect(port) else {
        return ZkAnswer::NoAnswer;
    };
    if stream.write_all(b"srvr").is_err() {
        return ZkAnswer::NoAnswer;
    }
    let mut answer = String::new();
    // The server closes the connection after its answer; a timeout leaves what arrived.
    let _ = stream.take(64 * 1024).read_to_string(&mut answer);
    parse_srvr(&answer)
}

/// The mode in a `srvr` answer.
pub fn parse_srvr(answer: &str) -> ZkAnswer {
    if let Some(mode) = answer
        .lines()
        .find_map(|l| l.strip_prefix("Mode:").map(|m| m.trim().to_string()))
    {
        return ZkAnswer::Mode(mode);
    }
    if answer.contains("not currently serving") {
        return ZkAnswer::NotServing;
    }
    ZkAnswer::NoAnswer
}

/// The correlation id of the probe; any number, checked in the answer.
const CORRELATION_ID: i32 = 0x6b6c_6162;
const CLIENT_ID: &str = "kafkalab-cluster";

/// An ApiVersions request, version 0: request header v1 (api_key 18, api_version 0,
/// correlation_id, client_id as a 16-bit-length string) and an empty body, after the 4-byte size.
pub fn api_versions_request() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&18i16.to_be_bytes());
    body.extend_from_slice(&0i16.to_be_bytes());
    body.extend_from_slice(&CORRELATION_ID.to_be_bytes());
    body.extend_from_slice(&(CLIENT_ID.len() as i16).to_be_bytes());
    body.extend_from_slice(CLIENT_ID.as_bytes());
    let mut frame = (body.len() as i32).to_be_bytes().to_vec();
    frame.extend_from_slice(&body);
    frame
}

/// Whether an ApiVersions v0 response (after its size) is ours and says error_code 0.
pub fn api_versions_ok(response: &[u8]) -> bool {
    response.len() >= 6
        && response[0..4] == CORRELATION_ID.to_be_bytes()
        && response[4..6] == [0, 0]
}

/// Whether the broker on 127.0.0.1:`port` answers ApiVersions without an error.
pub fn broker(port: u16) -> bool {
    let Some(mut stream) = connect(port) else {
        return false;
    };
    if stream.write_all(&api_versions_request()).is_err() {
        return false;
    }
    let mut size = [0u8; 4];
    if stream.read_exact(&mut size).is_err() {
        return false;
    }
    let size = i32::from_be_bytes(size);
    if !(6..=1 << 20).contains(&size) {
        return false;
    }
    let mut response = vec![0u8; size as usize];
    stream.read_exact(&mut response).is_ok() && api_versions_ok(&response)
}

/// Whether a process could listen on 127.0.0.1:`port` now.
pub fn port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("127.0.0.1", port)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srvr_answers_are_read_as_zookeeper_writes_them() {
        let leader = "Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nZxid: 0x100000000\nMode: leader\nNode count: 5\n";
        assert_eq!(parse_srvr(leader), ZkAnswer::Mode("leader".into()));
        assert_eq!(
            parse_srvr("This ZooKeeper instance is not currently serving requests\n"),
            ZkAnswer::NotServing
        );
        assert_eq!(parse_srvr(""), ZkAnswer::NoAnswer);
    }

    #[test]
    fn the_api_versions_request_is_a_whole_frame() {
        let frame = api_versions_request();
        let size = i32::from_be_bytes(frame[0..4].try_into().unwrap()) as usize;
        assert_eq!(size, frame.len() - 4);
        assert_eq!(&frame[4..8], &[0, 18, 0, 0]);
        let mut answer = CORRELATION_ID.to_be_bytes().to_vec();
        answer.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
        assert!(api_versions_ok(&answer));
        answer[5] = 35; // UNSUPPORTED_VERSION
        assert!(!api_versions_ok(&answer));
    }
}
