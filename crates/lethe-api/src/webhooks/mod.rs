//! `POST /v1/webhooks/{source}`: a ticketing system raises a request.
//!
//! The order matters: find the source, read the raw body (bounded), verify
//! its signature ([`verify`]), and only then parse and map it
//! ([`mapping`]) and create the request through the same path as
//! `POST /v1/requests`, with the ticket key as `external_id` and the source
//! recorded on the request. A delivery id seen before gets the first
//! answer again and creates nothing.

pub mod mapping;
pub mod verify;

use std::collections::BTreeMap;
use std::time::Duration;

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use lethe_domain::FieldError;
use lethe_store::{CreateOutcome, DeliveryClaim};
use secrecy::SecretString;
use serde::Deserialize;

use crate::extract::AppPath;
use crate::problem::ApiError;
use crate::requests::create::{created, prepare, CreateRequest, Origin};
use crate::requests::view::RequestView;
use crate::responses::ServerProblems;
use crate::AppState;

pub use mapping::{Mapping, MappingOverrides};

/// The largest webhook body read: ticket payloads (a Jira issue with its
/// fields and changelog) are larger than API bodies.
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// A vendor's payload shape and native signature scheme. Every preset also
/// accepts Standard Webhooks signatures.
///
/// - `jira`: an issue webhook (`jira:issue_created`). Signature
///   `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>` as Jira
///   sends for a webhook with a secret; the delivery id is
///   `X-Atlassian-Webhook-Identifier` (else a hash of the signature). Jira
///   signs no timestamp, so only replays (not staleness) are caught for
///   this scheme. Payload: `issue.key` (external id),
///   `issue.fields.summary` (note), `issue.fields.customfield_10050.value`
///   (kind, a select list), `customfield_10051` emails, `_10052` phones,
///   `_10053` names, `_10054` account numbers: custom field ids differ per
///   Jira site, so operators override them.
/// - `servicenow`: a business rule's outbound REST message with the
///   record's fields at the top level: `number` (external id),
///   `short_description` (note), `u_request_type` (kind), `u_subject_email`,
///   `u_subject_phone`, `u_subject_name`, `u_account_number`. ServiceNow
///   has no standard webhook signature: lethe accepts
///   `X-ServiceNow-Signature: base64(HMAC-SHA256(secret, body))` (the
///   script computes it with `GlideCertificateEncryption.generateMac`,
///   given the secret base64-encoded), or, better, the Standard Webhooks
///   headers, which also carry a timestamp and a delivery id.
/// - `zendesk`: a trigger's webhook with a JSON body built from
///   placeholders: `ticket.id` (external id), `ticket.title` (note),
///   `ticket.request_type` (kind, e.g. from
///   `{{ticket.ticket_field_option_title_<id>}}`), `ticket.requester.email`,
///   `.phone`, `.name`. Signature `X-Zendesk-Webhook-Signature:
///   base64(HMAC-SHA256(secret, timestamp + body))` with
///   `X-Zendesk-Webhook-Signature-Timestamp` (checked against the
///   tolerance); delivery id `X-Zendesk-Webhook-Invocation-Id`.
/// - `standard`: lethe's own shape (`kind`, `external_id`, `note`,
///   `subject.emails` ...), Standard Webhooks signatures only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    Jira,
    #[serde(rename = "servicenow")]
    ServiceNow,
    Zendesk,
    #[default]
    Standard,
}

/// One configured webhook source (`[[webhooks]]`).
#[derive(Debug, Clone)]
pub struct WebhookSource {
    pub preset: Preset,
    /// Every current secret (several during rotation); any one verifies an
    /// inbound delivery, the first signs callbacks.
    pub secrets: Vec<SecretString>,
    /// How far a signed timestamp may be from lethe's clock.
    pub tolerance: Duration,
    pub mapping: Mapping,
    /// Recorded as the creator (four-eyes compares approvers against it).
    pub created_by: String,
    /// Where this source's requests report their status changes.
    pub callback_url: Option<String>,
}

/// Configured sources by name (the path segment).
pub type WebhookSources = BTreeMap<String, WebhookSource>;

/// Receive a ticketing system's webhook.
///
/// Authenticated by signature, not by token: Standard Webhooks
/// (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64
/// HMAC-SHA256 of "{id}.{timestamp}.{body}">`) for every source, or the
/// preset's native scheme (Jira `X-Hub-Signature: sha256=<hex>`, Zendesk
/// `X-Zendesk-Webhook-Signature` with its timestamp header, ServiceNow
/// `X-ServiceNow-Signature: <base64>`), HMAC-SHA256 over the raw body with
/// one of the source's secrets. The signature is checked before the body
/// is parsed. A delivery id seen before is answered with the first
/// response (`Idempotent-Replayed: true`) and creates nothing. The payload
/// is mapped to a request by JSON Pointers (the preset's, overridden in
/// configuration); the created request carries the ticket key as
/// `external_id` and the source as `source`.
#[utoipa::path(
    post,
    path = "/v1/webhooks/{source}",
    operation_id = "receive_webhook",
    tag = "webhooks",
    params(
        ("source" = String, Path, description = "The configured source name (`[[webhooks]] source`)"),
        ("webhook-id" = Option<String>, Header, description = "Standard Webhooks: unique delivery id"),
        ("webhook-timestamp" = Option<String>, Header, description = "Standard Webhooks: Unix seconds; refused outside the tolerance window (default 300 s)"),
        ("webhook-signature" = Option<String>, Header, description = "Standard Webhooks: `v1,<base64 HMAC-SHA256 of \"{id}.{timestamp}.{body}\">`, several separated by spaces"),
    ),
    request_body(content = Object, description = "The ticketing system's JSON payload, in the shape of the source's preset", content_type = "application/json"),
    responses(
        (status = 201, description = "Request created (or, with `Idempotent-Replayed: true`, the first answer to this delivery id)", body = RequestView),
        (status = 400, description = "The body is not valid JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid signature (`invalid-signature`, naming the expected headers) or a timestamp outside the tolerance window (`stale-timestamp`)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No source of this name is configured", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is over 1 MiB", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Signed, but the payload cannot be mapped (`unmappable-payload`) or holds an invalid identifier (`invalid-identifier`); `errors` names each payload field by JSON Pointer", body = crate::problem::Problem, content_type = "application/problem+json"),
        ServerProblems,
    ),
    security(())
)]
pub async fn receive_webhook(
    State(state): State<AppState>,
    source: Result<AppPath<String>, ApiError>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let AppPath(name) = source?;
    let source = state
        .settings
        .webhooks
        .get(&name)
        .ok_or(ApiError::WebhookSourceNotFound)?;
    let bytes = axum::body::to_bytes(body, WEBHOOK_BODY_LIMIT)
        .await
        .map_err(|_| ApiError::PayloadTooLarge(WEBHOOK_BODY_LIMIT))?;
    let verified = verify::verify(
        source.preset,
        &source.secrets,
        source.tolerance,
        &headers,
        &bytes,
        chrono::Utc::now(),
    )
    .map_err(|e| {
        tracing::warn!(webhook.source = %name, "webhook refused: signature");
        match e {
            verify::VerifyError::Signature(detail) => ApiError::InvalidSignature(detail),
            verify::VerifyError::Stale(detail) => ApiError::StaleWebhook(detail),
        }
    })?;
    let payload: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::MalformedJson(format!(
            "the body is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let mapped = source.mapping.map(&payload).map_err(unmappable)?;
    let body = CreateRequest {
        kind: mapped.kind,
        subject: mapped.subject,
        external_id: mapped.external_id,
        due_at: None,
        note: mapped.note,
        callback_url: None,
    };
    let origins = mapped.origins;
    let pointer = |p: &str| origins.get(p).cloned().unwrap_or_else(|| p.to_owned());
    let origin = Origin {
        actor: &source.created_by,
        source: Some(&name),
        callback_url: source.callback_url.clone(),
        pointer: &pointer,
    };
    let (new, audit) = prepare(&state, &body, origin)?;
    let delivery = DeliveryClaim {
        source: name.clone(),
        delivery_id: verified.delivery_id,
    };
    let respond = |record: &lethe_store::RequestRecord| {
        serde_json::to_value(RequestView::from(record)).unwrap_or(serde_json::Value::Null)
    };
    match state
        .store
        .create_webhook_request(new, delivery, audit, &respond)
        .await?
    {
        CreateOutcome::Created { record, response } => {
            tracing::info!(request.id = %record.id, webhook.source = %name, "request created by webhook");
            Ok(created(record.id, response, false))
        }
        CreateOutcome::Replayed {
            request_id,
            response,
        } => {
            tracing::info!(request.id = %request_id, webhook.source = %name, "webhook delivery replayed");
            Ok(created(request_id, response, true))
        }
        CreateOutcome::KeyReused => Err(ApiError::Conflict(
            "this delivery id was used before".into(),
        )),
    }
}

fn unmappable(errors: Vec<FieldError>) -> ApiError {
    ApiError::UnmappablePayload(errors)
}
