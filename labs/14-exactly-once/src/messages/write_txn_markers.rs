//! WriteTxnMarkers (key 27), v0: the transaction coordinator, acting as a client, asks each
//! partition leader to append a commit or abort marker (a control batch) for producers whose
//! transactions it has decided. It is the one API a *broker* sends to a broker in this lab, so
//! both directions are here: the leader decodes the request and encodes the response, the
//! coordinator encodes the request and decodes the response.
//!
//! ```text
//! request:  markers [producer_id int64 | producer_epoch int16 | transaction_result bool
//!                    | topics [name string | partition_indexes [int32]] | coordinator_epoch int32]
//! response: markers [producer_id int64 | topics [name string | partitions [partition_index int32 | error_code int16]]]
//! ```

use lab04_protocol_codec::{ApiRequest, ApiResponse, ApiSpec, Decoder, Encoder, Result};

use super::{read_array, write_array};
use crate::errors::Errors;

pub const SPEC: ApiSpec = ApiSpec {
    key: 27,
    name: "WriteTxnMarkers",
    min: 0,
    max: 0,
    flexible_from: 1,
};

/// One producer's marker for some partitions. `transaction_result`: true commit, false abort.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritableTxnMarker {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub transaction_result: bool,
    pub topics: Vec<(String, Vec<i32>)>,
    pub coordinator_epoch: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteTxnMarkersRequest {
    pub markers: Vec<WritableTxnMarker>,
}

/// Per topic, per partition: the error of a marker's append.
pub type TopicResults = Vec<(String, Vec<(i32, Errors)>)>;

/// Per producer, per topic, per partition: the error of its marker's append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteTxnMarkersResponse {
    pub markers: Vec<(i64, TopicResults)>,
}

impl ApiRequest for WriteTxnMarkersRequest {
    const SPEC: ApiSpec = SPEC;
    type Response = WriteTxnMarkersResponse;

    fn decode(d: &mut Decoder<'_>, _version: i16) -> Result<WriteTxnMarkersRequest> {
        // BEGIN SOLUTION step 2: an array of markers, each with producer, result, topics and coordinator epoch
        // ko: 마커 배열. 각각 프로듀서, 결과, 토픽들, 코디네이터 에포크
        let markers = read_array(d, false, |d| {
            Ok(WritableTxnMarker {
                producer_id: d.i64()?,
                producer_epoch: d.i16()?,
                transaction_result: d.bool()?,
                topics: read_array(d, false, |d| {
                    Ok((d.string(false)?, read_array(d, false, |d| d.i32())?))
                })?,
                coordinator_epoch: d.i32()?,
            })
        })?;
        Ok(WriteTxnMarkersRequest { markers })
        // END SOLUTION
    }
}

impl WriteTxnMarkersRequest {
    /// The request body, as the coordinator sends it.
    pub fn encode(&self, e: &mut Encoder) {
        // BEGIN SOLUTION step 2: the same fields in the same order as decode reads them
        // ko: decode가 읽는 것과 같은 필드를 같은 순서로 쓰기
        write_array(e, &self.markers, false, |e, m| {
            e.i64(m.producer_id);
            e.i16(m.producer_epoch);
            e.bool(m.transaction_result);
            write_array(e, &m.topics, false, |e, (name, parts)| {
                e.string(name, false);
                write_array(e, parts, false, |e, p| e.i32(*p));
            });
            e.i32(m.coordinator_epoch);
        });
        // END SOLUTION
    }
}

impl ApiResponse for WriteTxnMarkersResponse {
    fn encode(&self, e: &mut Encoder, _version: i16) {
        // BEGIN SOLUTION step 2: per producer its id, then per topic per partition index and error
        // ko: 프로듀서마다 ID, 그다음 토픽마다 파티션마다 번호와 오류
        write_array(e, &self.markers, false, |e, (pid, topics)| {
            e.i64(*pid);
            write_array(e, topics, false, |e, (name, parts)| {
                e.string(name, false);
                write_array(e, parts, false, |e, (p, err)| {
                    e.i32(*p);
                    e.i16(err.code());
                });
            });
        });
        // END SOLUTION
    }
}

impl WriteTxnMarkersResponse {
    /// Reads the response the coordinator gets back; a code lab 14 does not know reads as
    /// UNKNOWN_SERVER_ERROR (the coordinator retries it).
    pub fn decode(d: &mut Decoder<'_>) -> Result<WriteTxnMarkersResponse> {
        // BEGIN SOLUTION step 2: the same nesting as encode, mapping codes back to Errors
        // ko: encode와 같은 중첩 구조를 읽고 코드를 Errors로 되돌리기
        let markers = read_array(d, false, |d| {
            let pid = d.i64()?;
            let topics = read_array(d, false, |d| {
                let name = d.string(false)?;
                let parts = read_array(d, false, |d| {
                    let p = d.i32()?;
                    let code = d.i16()?;
                    Ok((
                        p,
                        Errors::from_code(code).unwrap_or(Errors::UnknownServerError),
                    ))
                })?;
                Ok((name, parts))
            })?;
            Ok((pid, topics))
        })?;
        Ok(WriteTxnMarkersResponse { markers })
        // END SOLUTION
    }
}
