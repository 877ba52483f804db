//! FindCoordinator (key 10), v0–2: "which broker coordinates group G?" — asked before any
//! other group request, since only that broker answers them.
//!
//! ```text
//! request:  key string | key_type int8 (v1+: 0 group, 1 transaction)
//! response: throttle_time_ms int32 (v1+) | error_code int16 | error_message nullable string (v1+)
//!           | node_id int32 | host string | port int32
//! ```

use lab04_protocol_codec::{Decoder, Encoder, ErrorCode, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindCoordinatorRequest {
    pub key: String,
    pub key_type: i8,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindCoordinatorResponse {
    pub error_code: ErrorCode,
    pub error_message: Option<String>,
    pub node_id: i32,
    pub host: String,
    pub port: i32,
}

impl FindCoordinatorRequest {
    pub fn decode(d: &mut Decoder<'_>, version: i16) -> Result<Self> {
        let key = d.string(false)?;
        let key_type = if version >= 1 { d.i8()? } else { 0 };
        Ok(FindCoordinatorRequest { key, key_type })
    }
}

impl FindCoordinatorResponse {
    pub fn encode(&self, e: &mut Encoder, version: i16) {
        if version >= 1 {
            e.i32(0);
        }
        e.i16(self.error_code.code());
        if version >= 1 {
            e.nullable_string(self.error_message.as_deref(), false);
        }
        e.i32(self.node_id);
        e.string(&self.host, false);
        e.i32(self.port);
    }
}
