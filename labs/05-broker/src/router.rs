//! The router: which handler answers which API. Each lab contributes a [`Service`] that
//! declares its APIs and adds one typed handler per API; the broker is
//! `Router::new().with(core).with(topics).with(groups)`, flat, with no service wrapping
//! another. Kafka's `KafkaApis.handle` is one `match` over every key; here each lab owns its
//! arms, and ApiVersions advertises exactly what was registered.
//!
//! A handler is an async function from a typed request to an optional typed response:
//!
//! ```text
//! frame bytes ──decode header──▶ RequestHeader ──find route──▶ R::decode ──▶ handler(ctx, R)
//!                                                                  │
//! response frame ◀──encode header + R::Response::encode ◀── Some(response)
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;

use lab04_protocol_codec::{
    decode_request, respond, unsupported_response, ApiRegistry, ApiRequest, Request, RequestHeader,
};

use crate::error::Result;

/// What a handler returns: `Ok(Some(response))` to answer, `Ok(None)` for no answer at all
/// (Produce with acks 0), `Err` to close the connection with a log line.
pub type Handled<T> = Result<Option<T>>;

/// Who asks, and what the broker answers: handed to every handler.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub header: RequestHeader,
    /// The client's address, `host:port`.
    pub peer: String,
    /// Every API this broker registered (ApiVersions lists them).
    pub apis: Arc<ApiRegistry>,
}

/// What the connection does after a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// Write this response frame.
    Frame(Vec<u8>),
    /// Nothing to write; read the next request.
    Nothing,
    /// Close the connection: the request could not be read or answered.
    Close,
}

type BoxFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// A route with its request type erased, so routes of every API fit in one map.
trait Route: Send + Sync {
    fn call(&self, ctx: RequestContext, request: &Request<'_>) -> BoxFuture;
}

struct TypedRoute<R, F> {
    handler: F,
    _request: PhantomData<fn(R)>,
}

impl<R, F, Fut> Route for TypedRoute<R, F>
where
    R: ApiRequest,
    F: Fn(RequestContext, R) -> Fut + Send + Sync,
    Fut: Future<Output = Handled<R::Response>> + Send + 'static,
{
    fn call(&self, ctx: RequestContext, request: &Request<'_>) -> BoxFuture {
        let body = match request.body::<R>() {
            Ok(body) => body,
            Err(e) => {
                let (peer, version) = (&ctx.peer, ctx.header.api_version);
                tracing::warn!(%peer, api = R::SPEC.name, version, "closing the connection: unreadable request: {e}");
                return Box::pin(std::future::ready(Reply::Close));
            }
        };
        let answer = (self.handler)(ctx.clone(), body);
        Box::pin(async move {
            match answer.await {
                Ok(Some(response)) => Reply::Frame(respond(&ctx.header, &ctx.apis, &response)),
                Ok(None) => Reply::Nothing,
                Err(e) => {
                    tracing::warn!(peer = %ctx.peer, api = R::SPEC.name, "closing the connection: {e}");
                    Reply::Close
                }
            }
        })
    }
}

/// A lab's contribution to the broker: the APIs it answers.
pub trait Service: Send + Sync + 'static {
    /// Adds one route per API this service answers ([`Router::route`]).
    fn routes(self: Arc<Self>, router: &mut Router);
}

#[derive(Default)]
pub struct Router {
    apis: Arc<ApiRegistry>,
    routes: HashMap<i16, Box<dyn Route>>,
}

impl Router {
    /// A router that answers nothing yet.
    pub fn new() -> Router {
        Router::default()
    }

    /// Adds `service`'s routes.
    pub fn with<S: Service>(mut self, service: Arc<S>) -> Router {
        service.routes(&mut self);
        self
    }

    /// Answers API `R` with `handler`; registers `R::SPEC` for ApiVersions. A later route for
    /// the same key replaces the earlier one.
    pub fn route<R, F, Fut>(&mut self, handler: F)
    where
        R: ApiRequest,
        F: Fn(RequestContext, R) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Handled<R::Response>> + Send + 'static,
    {
        Arc::make_mut(&mut self.apis).register(R::SPEC);
        let route = TypedRoute {
            handler,
            _request: PhantomData::<fn(R)>,
        };
        self.routes.insert(R::SPEC.key, Box::new(route));
    }

    /// Every API registered, in registration order.
    pub fn apis(&self) -> &ApiRegistry {
        &self.apis
    }

    /// Answers one request frame (without its size prefix) from `peer`.
    pub async fn dispatch(&self, frame: &[u8], peer: &str) -> Reply {
        let request = match decode_request(frame, &self.apis) {
            Ok(r) => r,
            Err(e) => {
                // Name the API and version (the frame's first bytes) to help find the bug.
                let key = frame.get(0..2).map(|b| i16::from_be_bytes([b[0], b[1]]));
                let version = frame.get(2..4).map(|b| i16::from_be_bytes([b[0], b[1]]));
                tracing::warn!(%peer, ?key, ?version, "closing the connection: unreadable request: {e}");
                return Reply::Close;
            }
        };
        let route = request.spec.and_then(|spec| self.routes.get(&spec.key));
        let Some(route) = route else {
            let header = &request.header;
            return match unsupported_response(header, &self.apis) {
                Some(frame) => Reply::Frame(frame),
                None => {
                    tracing::warn!(%peer, api_key = header.api_key, version = header.api_version, "an API or version this broker does not answer; closing the connection");
                    Reply::Close
                }
            };
        };
        let ctx = RequestContext {
            header: request.header.clone(),
            peer: peer.to_string(),
            apis: self.apis.clone(),
        };
        route.call(ctx, &request).await
    }
}
