//! Lab 06's APIs plugged into lab 05's broker: decode the body, run the handler with the
//! broker locked, encode the answer. The state lab 06 adds sits behind its own lock, always
//! taken after the broker's, so two requests can never wait for each other in a circle.

use std::sync::Mutex;

use lab04_protocol_codec::{encode_response, ApiKey, Decoder, RequestHeader};
use lab05_broker::shared::now_ms;
use lab05_broker::{Extension, Shared};

use crate::admin::TopicAdmin;
use crate::create_topics::CreateTopicsRequest;
use crate::delete_topics::DeleteTopicsRequest;
use crate::describe_configs::DescribeConfigsRequest;

enum Admin {
    Create(CreateTopicsRequest),
    Delete(DeleteTopicsRequest),
    Describe(DescribeConfigsRequest),
}

pub struct TopicsExtension {
    admin: Mutex<TopicAdmin>,
}

const APIS: [ApiKey; 3] = [
    ApiKey::CreateTopics,
    ApiKey::DeleteTopics,
    ApiKey::DescribeConfigs,
];

impl TopicsExtension {
    /// Loads each topic's settings from the broker's `log.dirs` (see [`TopicAdmin::open`]).
    pub fn open(shared: &Shared) -> crate::Result<TopicsExtension> {
        let admin = TopicAdmin::open(&mut shared.broker(), now_ms())?;
        Ok(TopicsExtension {
            admin: Mutex::new(admin),
        })
    }

    fn admin(&self) -> std::sync::MutexGuard<'_, TopicAdmin> {
        self.admin.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Extension for TopicsExtension {
    fn apis(&self) -> &[ApiKey] {
        &APIS
    }

    async fn handle(
        &self,
        shared: &Shared,
        header: &RequestHeader,
        body: &[u8],
        _peer: &str,
    ) -> Option<Vec<u8>> {
        let version = header.api_version;
        // Read the whole body before changing anything. Bytes after the last field are
        // ignored, as Kafka ignores them (see lab 04's `decode_request`).
        let mut d = Decoder::new(body);
        let request = match ApiKey::from_code(header.api_key) {
            Some(ApiKey::CreateTopics) => {
                CreateTopicsRequest::decode(&mut d, version).map(Admin::Create)
            }
            Some(ApiKey::DeleteTopics) => {
                DeleteTopicsRequest::decode(&mut d, version).map(Admin::Delete)
            }
            Some(ApiKey::DescribeConfigs) => {
                DescribeConfigsRequest::decode(&mut d, version).map(Admin::Describe)
            }
            _ => return None,
        };
        let request = match request {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(api_key = header.api_key, version, "unreadable request: {e}");
                return None;
            }
        };
        let mut broker = shared.broker();
        let mut admin = self.admin();
        Some(match request {
            Admin::Create(r) => {
                let response = admin.create_topics(&mut broker, &r, now_ms());
                encode_response(header, |e| response.encode(e, version))
            }
            Admin::Delete(r) => {
                let response = admin.delete_topics(&mut broker, &r);
                encode_response(header, |e| response.encode(e, version))
            }
            Admin::Describe(r) => {
                let response = admin.describe_configs(&broker, &r);
                encode_response(header, |e| response.encode(e, version))
            }
        })
    }
}
