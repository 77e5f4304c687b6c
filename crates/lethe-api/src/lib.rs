//! lethe's REST API (SPEC §2): axum routers, bearer JWT roles, problem+json
//! errors, and the OpenAPI document generated from the same code.
//!
//! The router is built once from [`api_router`]; the OpenAPI document comes
//! out of the same builder, so a route cannot exist without being documented.

pub mod audit;
pub mod auth;
pub mod callbacks;
pub mod evidence;
pub mod extract;
mod links;
pub mod ops;
pub mod problem;
pub mod requests;
pub mod responses;
pub mod webhooks;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::HeaderName;
use axum::response::Response;
use axum::Router;
use lethe_domain::{IdentifierHasher, PhoneRegion};
use lethe_store::Store;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::{Authenticator, Role};
pub use problem::{ApiError, Problem};

/// Settings the handlers read.
#[derive(Debug, Clone)]
pub struct ApiSettings {
    /// Region for phone numbers given without a country code.
    pub default_region: PhoneRegion,
    /// Every configured target, in plan order (for plans, packages, reports).
    pub targets: Arc<Vec<lethe_domain::TargetInfo>>,
    /// The policy the workers plan with (four eyes, weak matches).
    pub policy: lethe_planner::Policy,
    /// How long an access package can be downloaded after completion.
    pub package_ttl: Duration,
    /// Inbound webhook sources (`[[webhooks]]`) by name.
    pub webhooks: Arc<webhooks::WebhookSources>,
    /// Per-request callback URLs (`[callbacks]`).
    pub callbacks: callbacks::CallbackSettings,
}

impl ApiSettings {
    /// Settings with no targets and the default policy: for tests and tools.
    pub fn new(default_region: PhoneRegion) -> Self {
        Self {
            default_region,
            targets: Arc::new(Vec::new()),
            policy: lethe_planner::Policy::default(),
            package_ttl: Duration::from_secs(7 * 24 * 3600),
            webhooks: Arc::new(webhooks::WebhookSources::new()),
            callbacks: callbacks::CallbackSettings::default(),
        }
    }
}

/// Shared application state: external systems as trait objects, no globals.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub auth: Arc<Authenticator>,
    pub hasher: Arc<IdentifierHasher>,
    pub settings: ApiSettings,
    /// The serialised OpenAPI document, served at `/openapi.json`.
    pub openapi_json: Arc<String>,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "lethe",
        description = "Fulfils GDPR data-subject requests (access, Art. 15/20; erasure, Art. 17) across a Mitel contact-center estate, verifies every erasure and keeps a tamper-evident audit trail.\n\nAuthentication: bearer JWT (HS256, or RS256/ES256 by `kid`), `exp` and `sub` required, roles in a `roles` claim: `requester` (create, cancel, extend, retry), `approver` (approve, reject — never a request they created, four-eyes — accept proposed identifiers, and confirm or decline manual steps), `viewer` (read: requests, plans, steps, access packages, erasure reports), `admin` (everything, and the audit log). Every role may read requests.\n\nErrors: RFC 9457 `application/problem+json` with a stable `type` `urn:lethe:problem:<code>`. Error bodies and logs never contain a subject's identifiers; responses show identifiers only as keyed hashes and masked hints.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    // Named here because `approve_request` and `confirm_step` refer to
    // them by `ref` only.
    components(schemas(requests::actions::ApproveBody, requests::manual::ManualStepBody)),
    modifiers(&BearerSecurity),
    tags(
        (name = "requests", description = "Data-subject requests and their lifecycle"),
        (name = "webhooks", description = "Signed inbound webhooks of ticketing systems (authenticated by HMAC signature, not by token)"),
        (name = "audit", description = "The hash-chained audit log"),
        (name = "operations", description = "Health, readiness, this document")
    )
)]
struct ApiDoc;

struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every documented route.
pub fn api_router() -> OpenApiRouter<AppState> {
    use requests::{
        actions, callbacks, create, identifiers, manual, package, plan, read, report, steps,
    };
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(create::create_request, read::list_requests))
        .routes(routes!(read::get_request))
        .routes(routes!(actions::approve_request))
        .routes(routes!(actions::reject_request))
        .routes(routes!(actions::cancel_request))
        .routes(routes!(actions::extend_request))
        .routes(routes!(actions::retry_request))
        .routes(routes!(identifiers::accept_identifiers))
        .routes(routes!(plan::get_plan))
        .routes(routes!(steps::list_steps))
        .routes(routes!(callbacks::list_callbacks))
        .routes(routes!(manual::confirm_step))
        .routes(routes!(manual::decline_step))
        .routes(routes!(package::get_package))
        .routes(routes!(report::get_report))
        .routes(routes!(audit::list_audit_events))
        .routes(routes!(webhooks::receive_webhook))
        .routes(routes!(ops::get_health))
        .routes(routes!(ops::get_readiness))
        .routes(routes!(ops::get_openapi))
        .routes(routes!(ops::get_metrics))
}

/// The OpenAPI document as committed at `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let (_, mut api) = api_router().split_for_parts();
    links::add(&mut api);
    let mut json = links::camel_case(api.to_pretty_json().unwrap_or_default());
    json.push('\n');
    json
}

/// The complete HTTP application.
pub fn app(
    store: Arc<dyn Store>,
    auth: Arc<Authenticator>,
    hasher: Arc<IdentifierHasher>,
    settings: ApiSettings,
) -> Router {
    let (router, _) = api_router().split_for_parts();
    let state = AppState {
        store,
        auth,
        hasher,
        settings,
        openapi_json: Arc::new(openapi_json()),
    };
    let request_id = HeaderName::from_static("x-request-id");
    router
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    // The path template only: never a concrete path or query string.
                    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str());
                    let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
                    tracing::info_span!("http", http.method = %req.method(), http.route = route, request_id = id)
                })
                .on_request(())
                .on_response(|res: &Response, latency: Duration, _span: &tracing::Span| {
                    tracing::info!(http.status = res.status().as_u16(), latency_ms = latency.as_millis() as u64, "response");
                }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
