//! ApiVersions: every API the router registered, with its version range — lab 05's own, and
//! whatever later labs added. An unknown ApiVersions version never gets here: the router
//! answers it in v0 with UNSUPPORTED_VERSION (lab 04's `unsupported_response`).

use lab04_protocol_codec::{ApiVersionsRequest, ApiVersionsResponse};

use crate::router::{Handled, RequestContext};

pub async fn handle(
    ctx: RequestContext,
    _request: ApiVersionsRequest,
) -> Handled<ApiVersionsResponse> {
    Ok(Some(ApiVersionsResponse::for_apis(&ctx.apis)))
}
