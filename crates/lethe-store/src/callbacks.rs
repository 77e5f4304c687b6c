//! Webhook deliveries and the status-callback outbox.
//!
//! A ticketing system's delivery is remembered by `(source, delivery_id)`
//! in the transaction that creates its request, so a replay gets the first
//! answer and creates nothing. Every status change of a request with a
//! `callback_url` writes an outbox event in the transaction of the change
//! (see `try_transition`); dispatchers claim due events with a short lease,
//! post them with no transaction open, and record each try. Events of one
//! request are claimed strictly in order: an event waits while an earlier
//! one of the same request is still pending.

/// Claims a delivery id; no row back means it was seen before.
pub(crate) const CLAIM_DELIVERY: &str =
    "insert into webhook_delivery (source, delivery_id, created_at)
    values ($1, $2, $3) on conflict do nothing returning source";

pub(crate) const STORE_DELIVERY: &str = "update webhook_delivery
    set request_id = $3, status = $4, response = $5
    where source = $1 and delivery_id = $2";

pub(crate) const READ_DELIVERY: &str =
    "select request_id, response from webhook_delivery where source = $1 and delivery_id = $2";

/// The next position among a request's events.
pub(crate) const NEXT_SEQ: &str =
    "select cast(coalesce(max(seq), 0) + 1 as bigint) from callback_outbox where request_id = $1";

pub(crate) const INSERT_EVENT: &str = "insert into callback_outbox
    (id, request_id, seq, source, url, payload, state, attempts, next_attempt_at, created_at)
    values ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)";

/// Columns of `ClaimedCallback`, in order.
macro_rules! claimed_columns {
    () => {
        "id, request_id, seq, source, url, payload, attempts, created_at"
    };
}

/// Due events whose lease (if any) expired, and which no earlier pending
/// event of the same request holds back. Runs in the store's write
/// transaction (writer lock / advisory lock), so two dispatchers never
/// take the same event. `$1` now, `$2` dispatcher, `$3` lease expiry,
/// `$4` limit.
pub(crate) const CLAIM_EVENTS: &str = concat!(
    "update callback_outbox set claimed_by = $2, claim_expires_at = $3
    where id in (
        select o.id from callback_outbox o
        where o.state = 'pending' and o.next_attempt_at <= $1
          and (o.claimed_by is null or o.claim_expires_at < $1)
          and not exists (select 1 from callback_outbox p
              where p.request_id = o.request_id and p.seq < o.seq and p.state = 'pending')
        order by o.next_attempt_at, o.id
        limit $4)
    returning ",
    claimed_columns!()
);

/// Fenced on the claim, so a dispatcher whose lease was taken over cannot
/// record over the one that replaced it. `$3` state, `$4` next attempt,
/// `$5` finished_at, `$6` last error.
pub(crate) const FINISH_TRY: &str = "update callback_outbox
    set attempts = attempts + 1, state = $3, next_attempt_at = coalesce($4, next_attempt_at),
        finished_at = $5, last_error = $6, claimed_by = null, claim_expires_at = null
    where id = $1 and claimed_by = $2 and state = 'pending'
    returning attempts";

pub(crate) const INSERT_TRY: &str = "insert into callback_attempt
    (id, event_id, attempt, worker, at, status_code, error, duration_ms)
    values ($1, $2, $3, $4, $5, $6, $7, $8)";

pub(crate) const EVENTS_OF_REQUEST: &str =
    "select id, request_id, seq, source, url, payload, state,
    attempts, next_attempt_at, created_at, finished_at, last_error
    from callback_outbox where request_id = $1 order by seq";

pub(crate) const TRIES_OF_REQUEST: &str = "select a.event_id, a.attempt, a.worker, a.at,
    a.status_code, a.error, a.duration_ms
    from callback_attempt a join callback_outbox o on o.id = a.event_id
    where o.request_id = $1 order by a.event_id, a.attempt";

/// An outbox row.
#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    pub id: uuid::Uuid,
    pub request_id: uuid::Uuid,
    pub seq: i32,
    pub source: Option<String>,
    pub url: String,
    pub payload: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: chrono::DateTime<chrono::Utc>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_error: Option<String>,
}

/// One try.
#[derive(sqlx::FromRow)]
pub(crate) struct TryRow {
    pub event_id: uuid::Uuid,
    pub attempt: i32,
    pub worker: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// Joins events with their tries, in event order.
pub(crate) fn assemble(
    events: Vec<EventRow>,
    tries: Vec<TryRow>,
) -> Result<Vec<crate::CallbackRecord>, crate::StoreError> {
    let mut by_event: std::collections::HashMap<uuid::Uuid, Vec<crate::CallbackAttemptRecord>> =
        std::collections::HashMap::new();
    for t in tries {
        by_event
            .entry(t.event_id)
            .or_default()
            .push(crate::CallbackAttemptRecord {
                attempt: t.attempt,
                worker: t.worker,
                at: t.at,
                status_code: t.status_code,
                error: t.error,
                duration_ms: t.duration_ms,
            });
    }
    events
        .into_iter()
        .map(|e| {
            let state = crate::CallbackState::parse(&e.state).ok_or_else(|| {
                crate::StoreError::Corrupt(format!("unknown callback state {:?}", e.state))
            })?;
            let payload = serde_json::from_str(&e.payload)
                .map_err(|err| crate::StoreError::Corrupt(format!("callback payload: {err}")))?;
            Ok(crate::CallbackRecord {
                id: e.id,
                request_id: e.request_id,
                seq: e.seq,
                source: e.source,
                url: e.url,
                payload,
                state,
                attempts: e.attempts,
                next_attempt_at: e.next_attempt_at,
                created_at: e.created_at,
                finished_at: e.finished_at,
                last_error: e.last_error,
                tries: by_event.remove(&e.id).unwrap_or_default(),
            })
        })
        .collect()
}

/// The JSON a receiver gets for a status change. `report_url` is a path
/// (`/v1/requests/{id}/report` or `/package`) once the request completed;
/// the dispatcher prefixes it with the public URL when one is configured.
pub(crate) fn event_payload(
    event_id: uuid::Uuid,
    row: &crate::rows::RequestRow,
    to: lethe_domain::RequestStatus,
    at: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    use lethe_domain::{RequestKind, RequestStatus};
    let completed = matches!(
        to,
        RequestStatus::Completed | RequestStatus::CompletedWithExceptions
    );
    let report_url = completed.then(|| match row.kind.as_str() {
        k if k == RequestKind::Access.as_str() => format!("/v1/requests/{}/package", row.id),
        _ => format!("/v1/requests/{}/report", row.id),
    });
    serde_json::json!({
        "event_id": event_id,
        "type": "request.status_changed",
        "request_id": row.id,
        "external_id": row.external_id,
        "status": to.as_str(),
        "previous_status": row.status,
        "due_at": crate::audit::canonical_time(row.due_at),
        "report_url": report_url,
        "occurred_at": crate::audit::canonical_time(at),
    })
}

/// Expands the callback methods for one backend (`$store`, `$conn`).
macro_rules! impl_callbacks {
    ($store:ty, $conn:ty) => {
        impl $store {
            /// Writes the outbox event of a status change, inside the
            /// change's transaction; nothing when the request has no
            /// callback URL.
            async fn enqueue_callback(
                conn: &mut $conn,
                row: &$crate::rows::RequestRow,
                to: lethe_domain::RequestStatus,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), $crate::StoreError> {
                let Some(url) = row.callback_url.as_deref() else {
                    return Ok(());
                };
                let seq = sqlx::query_scalar::<_, i64>($crate::callbacks::NEXT_SEQ)
                    .bind(row.id)
                    .fetch_one(&mut *conn)
                    .await?;
                let id = uuid::Uuid::now_v7();
                let payload = $crate::callbacks::event_payload(id, row, to, now);
                sqlx::query($crate::callbacks::INSERT_EVENT)
                    .bind(id)
                    .bind(row.id)
                    .bind(seq as i32)
                    .bind(row.source.as_deref())
                    .bind(url)
                    .bind(payload.to_string())
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn outbox_claim(
                &self,
                worker: &str,
                lease: std::time::Duration,
                limit: u32,
            ) -> Result<Vec<$crate::ClaimedCallback>, $crate::StoreError> {
                let mut w = self.begin_write().await?;
                let now = w.now();
                let expires = $crate::backend::lease_expiry(now, lease);
                let mut out =
                    sqlx::query_as::<_, $crate::ClaimedCallback>($crate::callbacks::CLAIM_EVENTS)
                        .bind(now)
                        .bind(worker)
                        .bind(expires)
                        .bind(i64::from(limit.clamp(1, $crate::backend::MAX_CLAIM)))
                        .fetch_all(w.conn())
                        .await?;
                w.commit().await?;
                out.sort_by_key(|c| (c.request_id, c.seq));
                Ok(out)
            }

            async fn outbox_record(
                &self,
                event_id: uuid::Uuid,
                worker: &str,
                outcome: $crate::CallbackOutcome,
                duration: std::time::Duration,
            ) -> Result<bool, $crate::StoreError> {
                use $crate::{CallbackOutcome, CallbackState};
                let mut w = self.begin_write().await?;
                let now = w.now();
                let (state, next, code, error) = match &outcome {
                    CallbackOutcome::Delivered { status_code } => {
                        (CallbackState::Delivered, None, Some(*status_code), None)
                    }
                    CallbackOutcome::Failed {
                        status_code,
                        error,
                        retry_at: Some(at),
                    } => (
                        CallbackState::Pending,
                        Some(w.on_store_clock(*at)),
                        *status_code,
                        Some(error.as_str()),
                    ),
                    CallbackOutcome::Failed {
                        status_code,
                        error,
                        retry_at: None,
                    } => (
                        CallbackState::GivenUp,
                        None,
                        *status_code,
                        Some(error.as_str()),
                    ),
                };
                let finished = (state != CallbackState::Pending).then_some(now);
                let attempt = sqlx::query_scalar::<_, i32>($crate::callbacks::FINISH_TRY)
                    .bind(event_id)
                    .bind(worker)
                    .bind(state.as_str())
                    .bind(next)
                    .bind(finished)
                    .bind(error)
                    .fetch_optional(w.conn())
                    .await?;
                let Some(attempt) = attempt else {
                    w.rollback().await?;
                    return Ok(false);
                };
                sqlx::query($crate::callbacks::INSERT_TRY)
                    .bind(uuid::Uuid::now_v7())
                    .bind(event_id)
                    .bind(attempt)
                    .bind(worker)
                    .bind(now)
                    .bind(code.map(i32::from))
                    .bind(error)
                    .bind(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX))
                    .execute(w.conn())
                    .await?;
                w.commit().await?;
                Ok(true)
            }

            async fn outbox_list(
                &self,
                request_id: uuid::Uuid,
            ) -> Result<Vec<$crate::CallbackRecord>, $crate::StoreError> {
                let mut tx = self.begin_snapshot().await?;
                let events = sqlx::query_as::<_, $crate::callbacks::EventRow>(
                    $crate::callbacks::EVENTS_OF_REQUEST,
                )
                .bind(request_id)
                .fetch_all(&mut *tx)
                .await?;
                let tries = sqlx::query_as::<_, $crate::callbacks::TryRow>(
                    $crate::callbacks::TRIES_OF_REQUEST,
                )
                .bind(request_id)
                .fetch_all(&mut *tx)
                .await?;
                tx.rollback().await?;
                $crate::callbacks::assemble(events, tries)
            }
        }
    };
}

pub(crate) use impl_callbacks;
