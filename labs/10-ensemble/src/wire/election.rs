//! The election port (3888): `QuorumCnxManager`'s connection handshake and
//! `FastLeaderElection`'s notifications.
//!
//! ```text
//! initial message (only the side that connects sends it, once):
//!   protocolVersion long   -65536 (PROTOCOL_VERSION_V1); -65535 (V2) when multi-address
//!                          is on. A value >= 0 is a pre-3.5 server: that long is its sid
//!                          and nothing follows.
//!   sid long
//!   addrLen int            1..=2048
//!   addr bytes             "host:port" of the sender's election port; V2: "a:p|b:q"
//!
//! then, both ways, frames:  length int (1..=512 KiB) | notification
//!
//! notification (FastLeaderElection.buildMsg), 44 bytes + config:
//!   state int            0 LOOKING, 1 FOLLOWING, 2 LEADING, 3 OBSERVING
//!   leader long          the sid this server votes for
//!   zxid long            the voted leader's last zxid
//!   electionEpoch long   the sender's logical clock ("round")
//!   peerEpoch long       the voted leader's epoch
//!   version int          0x2
//!   configLen int | config bytes   the sender's QuorumVerifier as text
//!                        ("server.1=127.0.0.1:2888:3888:participant\n…version=0")
//! ```
//! The receiver (`Messenger.WorkerReceiver`) also takes the two older shapes: 28 bytes (no
//! peerEpoch: it is the zxid's epoch) and 40 bytes (no version, no config); the config is read
//! only when version > 1. Bytes after the config are ignored.

use lab08_znodes::jute::{InputArchive, OutputArchive};

use super::{complete, Decoded, Result, WireError};

/// `QuorumCnxManager.PROTOCOL_VERSION_V1`: what Debian's 3.8.0 sends (captured).
pub const PROTOCOL_VERSION_V1: i64 = -65536;
/// `QuorumCnxManager.PROTOCOL_VERSION_V2`: several `|`-separated addresses.
pub const PROTOCOL_VERSION_V2: i64 = -65535;
/// `InitialMessage.parse` refuses an address longer than this (`maxBuffer`).
pub const MAX_ADDRESS_BYTES: i32 = 2048;
/// `QuorumCnxManager.PACKETMAXSIZE`: the largest election frame a receiver reads.
pub const MAX_FRAME_BYTES: i32 = 512 * 1024;
/// The notification format version 3.5+ sends (`Notification.CURRENTVERSION`).
pub const NOTIFICATION_VERSION: i32 = 0x2;

/// The first bytes on an election connection: who is calling, and where to call back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialMessage {
    /// [`PROTOCOL_VERSION_V1`], [`PROTOCOL_VERSION_V2`], or (pre-3.5) the sid itself.
    pub protocol_version: i64,
    pub sid: i64,
    /// The sender's election addresses, `host:port`; empty for a pre-3.5 sender.
    pub addresses: Vec<String>,
}

impl InitialMessage {
    /// The message a 3.8 server with one election address sends.
    pub fn new(sid: i64, address: &str) -> InitialMessage {
        InitialMessage {
            protocol_version: PROTOCOL_VERSION_V1,
            sid,
            addresses: vec![address.to_string()],
        }
    }

    /// Decodes the initial message at the front of `buf`.
    pub fn decode(buf: &[u8]) -> Result<Decoded<InitialMessage>> {
        let mut input = InputArchive::new(buf);
        let Some(protocol_version) = complete(input.read_long().map_err(WireError::from))? else {
            return Ok(None);
        };
        if protocol_version >= 0 {
            // Before 3.5 the first long was the sid and the connection went straight to frames.
            let msg = InitialMessage {
                protocol_version,
                sid: protocol_version,
                addresses: Vec::new(),
            };
            return Ok(Some((msg, 8)));
        }
        if protocol_version != PROTOCOL_VERSION_V1 && protocol_version != PROTOCOL_VERSION_V2 {
            return Err(WireError::UnknownProtocolVersion(protocol_version));
        }
        // BEGIN SOLUTION step 5: sid long, then an int length (1..=MAX_ADDRESS_BYTES) and that many bytes of host:port addresses split on '|'
        // ko: sid long, 그다음 int 길이(1..=MAX_ADDRESS_BYTES)와 그만큼의 host:port 주소 바이트를 '|'로 나누세요
        let Some(sid) = complete(input.read_long().map_err(WireError::from))? else {
            return Ok(None);
        };
        let Some(len) = complete(input.read_int().map_err(WireError::from))? else {
            return Ok(None);
        };
        if len <= 0 || len > MAX_ADDRESS_BYTES {
            return Err(WireError::BadAddressLength(len));
        }
        let len = len as usize;
        if input.remaining() < len {
            return Ok(None);
        }
        let start = 8 + 8 + 4;
        let text = String::from_utf8_lossy(&buf[start..start + len]).into_owned();
        let addresses: Vec<String> = text.split('|').map(str::to_string).collect();
        for a in &addresses {
            // QuorumCnxManager splits on the last ':'; an IPv6 host keeps its own colons.
            match a.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
                _ => return Err(WireError::BadAddress(a.clone())),
            }
        }
        let msg = InitialMessage {
            protocol_version,
            sid,
            addresses,
        };
        Ok(Some((msg, start + len)))
        // END SOLUTION
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = OutputArchive::new();
        out.write_long(self.protocol_version);
        if self.protocol_version >= 0 {
            return out.into_bytes();
        }
        out.write_long(self.sid);
        let joined = self.addresses.join("|");
        out.write_buffer(Some(joined.as_bytes()));
        out.into_bytes()
    }
}

/// Which of two servers keeps an election connection: only one connection per pair lives,
/// the one opened by the LARGER sid. A smaller sid that connects sends its initial message
/// and then closes ("Have smaller server identifier, so dropping the connection"); the larger
/// one, on receiving a connection from a smaller sid, closes it and connects back itself.
/// Returns whether a connection from `initiator` to `acceptor` survives.
pub fn connection_survives(initiator: i64, acceptor: i64) -> bool {
    initiator > acceptor
}

/// `QuorumPeer.ServerState`, by the ordinal a notification carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerState {
    Looking = 0,
    Following = 1,
    Leading = 2,
    Observing = 3,
}

impl PeerState {
    pub fn from_i32(n: i32) -> Result<PeerState> {
        match n {
            0 => Ok(PeerState::Looking),
            1 => Ok(PeerState::Following),
            2 => Ok(PeerState::Leading),
            3 => Ok(PeerState::Observing),
            _ => Err(WireError::UnknownState(n)),
        }
    }
}

/// One election notification: the sender's state and its current vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub state: PeerState,
    /// The sid voted for.
    pub leader: i64,
    /// The voted leader's last zxid.
    pub zxid: i64,
    /// The sender's election round (`logicalclock`).
    pub election_epoch: i64,
    /// The voted leader's epoch.
    pub peer_epoch: i64,
    /// 0 for the 28- and 40-byte shapes, [`NOTIFICATION_VERSION`] today.
    pub version: i32,
    /// The sender's quorum config as text; read only when `version > 1`.
    pub config: Option<Vec<u8>>,
}

impl Notification {
    /// Decodes one notification body (a frame's payload, without its length).
    pub fn decode(body: &[u8]) -> Result<Notification> {
        // BEGIN SOLUTION step 5: at least 28 bytes of state, leader, zxid, electionEpoch; then peerEpoch unless 28 (else the zxid's epoch), version only past 40 bytes (else 0), config only when version > 1
        // ko: state, leader, zxid, electionEpoch로 최소 28바이트입니다. 그다음 28이 아니면 peerEpoch(28이면 zxid의 에포크), 40바이트를 넘을 때만 version(아니면 0), version > 1일 때만 config를 읽으세요
        if body.len() < 28 {
            return Err(WireError::ShortNotification(body.len()));
        }
        let mut input = InputArchive::new(body);
        let state = PeerState::from_i32(input.read_int()?)?;
        let leader = input.read_long()?;
        let zxid = input.read_long()?;
        let election_epoch = input.read_long()?;
        let peer_epoch = if body.len() == 28 {
            zxid >> 32
        } else {
            input.read_long()?
        };
        let version = if body.len() <= 40 {
            0
        } else {
            input.read_int()?
        };
        let config = if version > 1 {
            let len = input.read_int()?;
            let available = input.remaining();
            if len < 0 || len as usize > available {
                return Err(WireError::BadConfigLength { len, available });
            }
            let start = body.len() - available;
            Some(body[start..start + len as usize].to_vec())
        } else {
            None
        };
        Ok(Notification {
            state,
            leader,
            zxid,
            election_epoch,
            peer_epoch,
            version,
            config,
        })
        // END SOLUTION
    }

    /// The body `FastLeaderElection.buildMsg` writes (without the frame length): always the
    /// 3.5+ shape with version and config, whatever shape it was decoded from.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = OutputArchive::new();
        out.write_int(self.state as i32);
        out.write_long(self.leader);
        out.write_long(self.zxid);
        out.write_long(self.election_epoch);
        out.write_long(self.peer_epoch);
        out.write_int(self.version);
        let config = self.config.as_deref().unwrap_or_default();
        out.write_int(config.len() as i32);
        out.buf.extend_from_slice(config);
        out.into_bytes()
    }

    /// The config as text, if any.
    pub fn config_text(&self) -> Option<String> {
        self.config
            .as_deref()
            .map(|c| String::from_utf8_lossy(c).into_owned())
    }
}

/// Splits one election frame off the front of `buf`: the payload and the bytes used.
pub fn decode_frame(buf: &[u8]) -> Result<Decoded<&[u8]>> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let len = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    if len <= 0 || len > MAX_FRAME_BYTES {
        return Err(WireError::BadFrameLength(len));
    }
    let end = 4 + len as usize;
    if buf.len() < end {
        return Ok(None);
    }
    Ok(Some((&buf[4..end], end)))
}

/// A whole election frame: the length, then the notification.
pub fn encode_frame(n: &Notification) -> Vec<u8> {
    OutputArchive::frame(&n.encode())
}

/// One item read from an election connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromPeer {
    Hello(InitialMessage),
    Notification(Notification),
}

/// Reads an election connection: on one we accepted, the initial message first, then frames;
/// on one we opened, frames only (the initial message goes the other way).
#[derive(Debug, Clone)]
pub struct ElectionStreamDecoder {
    hello_next: bool,
}

impl ElectionStreamDecoder {
    /// For a connection a peer opened to us.
    pub fn accepted() -> ElectionStreamDecoder {
        ElectionStreamDecoder { hello_next: true }
    }

    /// For a connection we opened.
    pub fn opened() -> ElectionStreamDecoder {
        ElectionStreamDecoder { hello_next: false }
    }

    /// Decodes the next item at the front of `buf`; `None` means "read more".
    pub fn decode(&mut self, buf: &[u8]) -> Result<Decoded<FromPeer>> {
        if self.hello_next {
            let Some((hello, used)) = InitialMessage::decode(buf)? else {
                return Ok(None);
            };
            self.hello_next = false;
            return Ok(Some((FromPeer::Hello(hello), used)));
        }
        let Some((body, used)) = decode_frame(buf)? else {
            return Ok(None);
        };
        Ok(Some((
            FromPeer::Notification(Notification::decode(body)?),
            used,
        )))
    }
}
