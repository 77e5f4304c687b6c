//! The one implementation of [`Store`](crate::Store), expanded for each
//! backend by [`impl_store!`].
//!
//! Each backend module defines its store type with `pool` and `audit_key`
//! fields, a `WriteTx` (a write transaction plus whatever serialises writers:
//! a mutex on SQLite, an advisory lock on PostgreSQL) and `begin_snapshot`
//! (a consistent read for verification). Everything else, including every
//! statement, is shared, so the backends cannot drift apart.

use chrono::{DateTime, SubsecRound, Utc};

/// Requests per page at most.
pub(crate) const MAX_PAGE: u32 = 200;
/// Audit events per `list_audit` call at most.
pub(crate) const MAX_AUDIT_PAGE: u32 = 1000;
/// Audit events read per round trip while verifying.
pub(crate) const VERIFY_PAGE: i64 = 1000;
/// How long an idempotency key replays.
pub(crate) const KEY_TTL_HOURS: i64 = 24;
/// Steps per `claim_steps` call at most.
pub(crate) const MAX_CLAIM: u32 = 1000;
/// Longest lease granted: a longer one is shortened (a worker heartbeats
/// anyway, and the expiry must stay a comparable timestamp).
pub(crate) const MAX_LEASE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// Stored on a step and its attempt when a dead worker's lease is rescued.
pub(crate) const LEASE_EXPIRED_ERROR: &str = "lease expired (worker stopped or lost)";

/// When a lease taken at `now` expires.
pub(crate) fn lease_expiry(now: DateTime<Utc>, lease: std::time::Duration) -> DateTime<Utc> {
    let lease =
        chrono::TimeDelta::from_std(lease.min(MAX_LEASE)).unwrap_or(chrono::TimeDelta::zero());
    (now + lease).trunc_subsecs(6)
}

/// The audit payload of a step event: what was done where, never an error
/// text (which may quote personal data from the target system).
pub(crate) fn step_audit_data(
    step: &crate::rows::StepRow,
    counts: Option<(Option<i64>, Option<i64>, Option<i64>)>,
) -> serde_json::Value {
    let counts = counts.map(|(matched, affected, remaining)| {
        serde_json::json!({"matched": matched, "affected": affected, "remaining": remaining})
    });
    serde_json::json!({
        "step_key": step.step_key,
        "connector": step.connector,
        "target": step.target,
        "action": step.action,
        "attempt": step.attempt,
        "counts": counts,
    })
}

/// How `try_create` keeps a create from happening twice: an
/// `Idempotency-Key` of a caller, or a webhook source's delivery id.
#[derive(Clone, Copy)]
pub(crate) enum Claim<'a> {
    Key(&'a crate::IdempotencyClaim),
    Delivery(&'a crate::DeliveryClaim),
}

/// Now, at the precision both backends store (microseconds), so a record
/// read back equals what was written and audit hashes agree.
pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Below this, a measured offset between a host's clock and the store's is
/// taken as measurement noise. Leases are many seconds long, so a skew
/// under a second does them no harm.
const CLOCK_NOISE: chrono::TimeDelta = chrono::TimeDelta::seconds(1);

/// The time of one write transaction, read from the store's clock when the
/// transaction took the writer lock.
///
/// Workers on several hosts share a PostgreSQL store, and their clocks
/// drift apart. Leases, run times and audit times are compared across
/// hosts, so they all come from one clock: the database server's (SQLite
/// has one host, so its clock is the local one). A worker whose clock is an
/// hour fast then neither steals live leases nor sees its own expire early,
/// and the audit chain's times rise with its sequence. Times a caller
/// computed on its own clock (a step's `run_at`, a retry time, a retention
/// cutoff) are moved onto the store's by the offset between the two
/// measured at the same moment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TxClock {
    now: DateTime<Utc>,
    offset: chrono::TimeDelta,
}

impl TxClock {
    /// The store's clock is this host's.
    pub(crate) fn local() -> Self {
        Self {
            now: now(),
            offset: chrono::TimeDelta::zero(),
        }
    }

    /// The store's clock read `store_now` just now. An offset under
    /// [`CLOCK_NOISE`] is the round trip, not skew, and is taken as none, so
    /// a caller's times are kept exactly when the clocks agree.
    pub(crate) fn store(store_now: DateTime<Utc>) -> Self {
        let store_now = store_now.trunc_subsecs(6);
        let offset = store_now - Utc::now();
        Self {
            now: store_now,
            offset: if offset.abs() < CLOCK_NOISE {
                chrono::TimeDelta::zero()
            } else {
                offset
            },
        }
    }

    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// A time the caller computed on its own clock, on the store's.
    pub(crate) fn on_store_clock(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        (at + self.offset).trunc_subsecs(6)
    }
}

/// Expands the `Store` impl and the shared helpers for one backend.
///
/// `$store`: the store type; `$conn`: its connection type; `$name`: the
/// backend's name for `Store::backend`.
macro_rules! impl_store {
    ($store:ty, $conn:ty, $name:literal) => {
        impl $store {
            /// Requests with their identifiers and step counts: three queries
            /// per page, not one per request.
            async fn load_records(
                conn: &mut $conn,
                rows: Vec<$crate::rows::RequestRow>,
            ) -> Result<Vec<$crate::RequestRecord>, $crate::StoreError> {
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = $crate::sql::identifiers_of(rows.len());
                let mut q = sqlx::query_as::<_, $crate::rows::IdentifierRow>(&sql);
                for row in &rows {
                    q = q.bind(row.id);
                }
                let identifiers = q.fetch_all(&mut *conn).await?;
                let sql = $crate::sql::step_counts_of(rows.len());
                let mut q = sqlx::query_as::<_, $crate::rows::StepCountRow>(&sql);
                for row in &rows {
                    q = q.bind(row.id);
                }
                let counts = q.fetch_all(&mut *conn).await?;
                $crate::rows::assemble(rows, identifiers, counts)
            }

            async fn load_record(
                conn: &mut $conn,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::RequestRecord>, $crate::StoreError> {
                let row = sqlx::query_as::<_, $crate::rows::RequestRow>($crate::sql::SELECT_REQUEST)
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                Ok(Self::load_records(conn, vec![row]).await?.pop())
            }

            /// Appends one event to the chain. Must run inside the write
            /// transaction of the change it records (which holds the
            /// backend's writer lock, so `audit_head` cannot move meanwhile).
            async fn append_audit(
                &self,
                conn: &mut $conn,
                at: chrono::DateTime<chrono::Utc>,
                actor: &str,
                request_id: Option<uuid::Uuid>,
                kind: &str,
                data: &serde_json::Value,
            ) -> Result<i64, $crate::StoreError> {
                let head = sqlx::query_as::<_, $crate::rows::HeadRow>($crate::sql::AUDIT_HEAD)
                    .fetch_optional(&mut *conn)
                    .await?;
                let (seq, prev_hash) = match head {
                    Some(h) => (h.seq + 1, h.hash),
                    None => (1, $crate::audit::GENESIS_HASH.to_owned()),
                };
                let data = $crate::audit::canonical_json(data);
                let hash = $crate::chain_hash(
                    &self.audit_key, seq, at, actor, request_id, kind, &data, &prev_hash,
                );
                sqlx::query($crate::sql::INSERT_AUDIT)
                    .bind(seq)
                    .bind(at)
                    .bind(actor)
                    .bind(request_id)
                    .bind(kind)
                    .bind(&data)
                    .bind(&prev_hash)
                    .bind(&hash)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query($crate::sql::UPSERT_HEAD)
                    .bind(seq)
                    .bind(&hash)
                    .execute(&mut *conn)
                    .await?;
                Ok(seq)
            }

            /// One attempt at `create_request`; `None` when the key was
            /// claimed by a transaction that has since disappeared (retry).
            async fn try_create(
                &self,
                new: &$crate::NewRequest,
                claim: Option<$crate::backend::Claim<'_>>,
                audit: &$crate::AuditEntry,
                respond: &(dyn for<'r> Fn(&'r $crate::RequestRecord) -> serde_json::Value
                      + Send
                      + Sync),
            ) -> Result<Option<$crate::CreateOutcome>, $crate::StoreError> {
                use chrono::SubsecRound;
                use $crate::backend::Claim;
                use $crate::sql;
                let mut w = self.begin_write().await?;
                let now = w.now();
                match claim {
                    Some(Claim::Key(claim)) => {
                        let cutoff = now - chrono::TimeDelta::hours($crate::backend::KEY_TTL_HOURS);
                        sqlx::query(sql::DELETE_EXPIRED_KEYS).bind(cutoff).execute(w.conn()).await?;
                        let claimed = sqlx::query_scalar::<_, String>(sql::CLAIM_KEY)
                            .bind(&claim.actor)
                            .bind(&claim.key)
                            .bind(&claim.fingerprint)
                            .bind(now)
                            .fetch_optional(w.conn())
                            .await?;
                        if claimed.is_none() {
                            w.rollback().await?;
                            return self.replay(claim).await;
                        }
                    }
                    Some(Claim::Delivery(d)) => {
                        let claimed = sqlx::query_scalar::<_, String>($crate::callbacks::CLAIM_DELIVERY)
                            .bind(&d.source)
                            .bind(&d.delivery_id)
                            .bind(now)
                            .fetch_optional(w.conn())
                            .await?;
                        if claimed.is_none() {
                            w.rollback().await?;
                            return self.replay_delivery(d).await;
                        }
                    }
                    None => {}
                }
                sqlx::query(sql::INSERT_REQUEST)
                    .bind(new.id)
                    .bind(new.kind.as_str())
                    .bind(new.external_id.as_deref())
                    .bind(new.received_at.trunc_subsecs(6))
                    .bind(new.due_at.trunc_subsecs(6))
                    .bind(new.note.as_deref())
                    .bind(&new.created_by)
                    .bind(now)
                    .bind(new.source.as_deref())
                    .bind(new.callback_url.as_deref())
                    .execute(w.conn())
                    .await?;
                for (ordinal, ident) in new.identifiers.iter().enumerate() {
                    let ordinal = i32::try_from(ordinal)
                        .map_err(|_| $crate::StoreError::Corrupt("too many identifiers".into()))?;
                    sqlx::query(sql::INSERT_IDENTIFIER)
                        .bind(uuid::Uuid::now_v7())
                        .bind(new.id)
                        .bind(ordinal)
                        .bind(ident.kind.as_str())
                        .bind(&ident.value)
                        .bind(&ident.hash)
                        .bind(&ident.hint)
                        .execute(w.conn())
                        .await?;
                }
                let (actor, kind) = (&audit.actor, &audit.kind);
                self.append_audit(w.conn(), now, actor, Some(new.id), kind, &audit.data).await?;
                let record = Self::load_record(w.conn(), new.id)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                let response = respond(&record);
                match claim {
                    Some(Claim::Key(claim)) => {
                        sqlx::query(sql::STORE_RESPONSE)
                            .bind(&claim.actor)
                            .bind(&claim.key)
                            .bind(new.id)
                            .bind(response.to_string())
                            .execute(w.conn())
                            .await?;
                    }
                    Some(Claim::Delivery(d)) => {
                        sqlx::query($crate::callbacks::STORE_DELIVERY)
                            .bind(&d.source)
                            .bind(&d.delivery_id)
                            .bind(new.id)
                            .bind(201_i32)
                            .bind(response.to_string())
                            .execute(w.conn())
                            .await?;
                    }
                    None => {}
                }
                w.commit().await?;
                self.signal_work().await;
                tracing::debug!(request.id = %new.id, "request created");
                Ok(Some($crate::CreateOutcome::Created { record, response }))
            }

            /// The answer for a delivery already seen (committed).
            async fn replay_delivery(
                &self,
                d: &$crate::DeliveryClaim,
            ) -> Result<Option<$crate::CreateOutcome>, $crate::StoreError> {
                let row = sqlx::query_as::<_, (Option<uuid::Uuid>, Option<String>)>(
                    $crate::callbacks::READ_DELIVERY,
                )
                .bind(&d.source)
                .bind(&d.delivery_id)
                .fetch_optional(&self.pool)
                .await?;
                let Some((Some(request_id), Some(response))) = row else {
                    return Ok(None);
                };
                let response = serde_json::from_str(&response).map_err(|e| {
                    $crate::StoreError::Corrupt(format!("stored webhook response: {e}"))
                })?;
                tracing::debug!(request.id = %request_id, "webhook delivery replayed");
                Ok(Some($crate::CreateOutcome::Replayed { request_id, response }))
            }

            /// The answer for a key someone else already holds (committed).
            async fn replay(
                &self,
                claim: &$crate::IdempotencyClaim,
            ) -> Result<Option<$crate::CreateOutcome>, $crate::StoreError> {
                let row = sqlx::query_as::<_, $crate::rows::IdempotencyRow>($crate::sql::READ_KEY)
                    .bind(&claim.actor)
                    .bind(&claim.key)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                if row.fingerprint != claim.fingerprint {
                    return Ok(Some($crate::CreateOutcome::KeyReused));
                }
                let (Some(request_id), Some(response)) = (row.request_id, row.response) else {
                    return Err($crate::StoreError::Corrupt(
                        "idempotency key without a stored response".into(),
                    ));
                };
                let response = serde_json::from_str(&response).map_err(|e| {
                    $crate::StoreError::Corrupt(format!("stored idempotent response: {e}"))
                })?;
                tracing::debug!(request.id = %request_id, "idempotent create replayed");
                Ok(Some($crate::CreateOutcome::Replayed { request_id, response }))
            }

            /// One attempt at `transition`; `None` when the status changed
            /// between the read and the fenced update (retry).
            async fn try_transition(
                &self,
                id: uuid::Uuid,
                change: &$crate::StatusChange,
            ) -> Result<Option<$crate::RequestRecord>, $crate::StoreError> {
                use lethe_domain::RequestEvent;
                let mut w = self.begin_write().await?;
                let now = w.now();
                let row = sqlx::query_as::<_, $crate::rows::RequestRow>($crate::sql::SELECT_REQUEST)
                    .bind(id)
                    .fetch_optional(w.conn())
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                if change.four_eyes && row.created_by == change.actor {
                    return Err($crate::StoreError::FourEyes);
                }
                let from = row.status()?;
                let to = from.apply(change.event)?;
                let decided = matches!(change.event, RequestEvent::Approve | RequestEvent::Reject);
                let updated = sqlx::query($crate::sql::UPDATE_STATUS)
                    .bind(id)
                    .bind(to.as_str())
                    .bind(now)
                    .bind(change.reason.as_deref())
                    .bind(decided.then_some(change.actor.as_str()))
                    .bind(decided.then_some(now))
                    .bind(from.as_str())
                    .bind(change.include_weak)
                    .execute(w.conn())
                    .await?
                    .rows_affected();
                if updated == 0 {
                    w.rollback().await?;
                    return Ok(None);
                }
                let data = $crate::audit::merge_data(
                    change.audit_data.clone(),
                    [("from", from.as_str().into()), ("to", to.as_str().into())],
                );
                let kind = format!("request.{}", change.event.as_str());
                self.append_audit(w.conn(), now, &change.actor, Some(id), &kind, &data).await?;
                // The announcement commits with the change, or neither does.
                Self::enqueue_callback(w.conn(), &row, to, now).await?;
                let record =
                    Self::load_record(w.conn(), id).await?.ok_or($crate::StoreError::NotFound)?;
                w.commit().await?;
                self.signal_work().await;
                tracing::debug!(
                    request.id = %id, from = from.as_str(), to = to.as_str(),
                    "request status changed"
                );
                Ok(Some(record))
            }

            /// One attempt at `extend`; `None` on a concurrent change (retry).
            async fn try_extend(
                &self,
                id: uuid::Uuid,
                extension: &$crate::Extension,
            ) -> Result<Option<$crate::RequestRecord>, $crate::StoreError> {
                use chrono::SubsecRound;
                use $crate::audit::canonical_time;
                let new_due = extension.new_due_at.trunc_subsecs(6);
                let mut w = self.begin_write().await?;
                let now = w.now();
                let row = sqlx::query_as::<_, $crate::rows::RequestRow>($crate::sql::SELECT_REQUEST)
                    .bind(id)
                    .fetch_optional(w.conn())
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                let status = row.status()?;
                if status.is_terminal() {
                    return Err($crate::StoreError::Closed(status));
                }
                if new_due <= row.due_at {
                    return Err($crate::StoreError::InvalidExtension(
                        "the new due date must be later than the current one".into(),
                    ));
                }
                let bound = lethe_domain::request::latest_extended_due_at(row.original_due_at);
                if new_due > bound {
                    return Err($crate::StoreError::InvalidExtension(format!(
                        "an extension may add at most two months to the original due date ({})",
                        bound.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                    )));
                }
                let updated = sqlx::query($crate::sql::UPDATE_DUE)
                    .bind(id)
                    .bind(new_due)
                    .bind(&extension.reason)
                    .bind(now)
                    .bind(row.due_at)
                    .bind(status.as_str())
                    .execute(w.conn())
                    .await?
                    .rows_affected();
                if updated == 0 {
                    w.rollback().await?;
                    return Ok(None);
                }
                let data = $crate::audit::merge_data(
                    extension.audit_data.clone(),
                    [
                        ("from", canonical_time(row.due_at).into()),
                        ("to", canonical_time(new_due).into()),
                    ],
                );
                let actor = &extension.actor;
                self.append_audit(w.conn(), now, actor, Some(id), "request.extend", &data).await?;
                let record =
                    Self::load_record(w.conn(), id).await?.ok_or($crate::StoreError::NotFound)?;
                w.commit().await?;
                tracing::debug!(request.id = %id, "request due date extended");
                Ok(Some(record))
            }
        }

        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> &'static str {
                $name
            }

            async fn ping(&self) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::sql::PING).execute(&self.pool).await?;
                Ok(())
            }

            async fn create_request(
                &self,
                new: $crate::NewRequest,
                idempotency: Option<$crate::IdempotencyClaim>,
                audit: $crate::AuditEntry,
                respond: &(dyn for<'r> Fn(&'r $crate::RequestRecord) -> serde_json::Value
                      + Send
                      + Sync),
            ) -> Result<$crate::CreateOutcome, $crate::StoreError> {
                // A second pass only when the key's holder vanished between
                // our conflict and our read (it rolled back or expired).
                for _ in 0..2 {
                    let claim = idempotency.as_ref().map($crate::backend::Claim::Key);
                    if let Some(outcome) = self.try_create(&new, claim, &audit, respond).await?
                    {
                        return Ok(outcome);
                    }
                }
                Err($crate::StoreError::Contended)
            }

            async fn create_webhook_request(
                &self,
                new: $crate::NewRequest,
                delivery: $crate::DeliveryClaim,
                audit: $crate::AuditEntry,
                respond: &(dyn for<'r> Fn(&'r $crate::RequestRecord) -> serde_json::Value
                      + Send
                      + Sync),
            ) -> Result<$crate::CreateOutcome, $crate::StoreError> {
                for _ in 0..2 {
                    let claim = Some($crate::backend::Claim::Delivery(&delivery));
                    if let Some(outcome) = self.try_create(&new, claim, &audit, respond).await? {
                        return Ok(outcome);
                    }
                }
                Err($crate::StoreError::Contended)
            }

            async fn get_request(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<$crate::RequestRecord>, $crate::StoreError> {
                let mut conn = self.pool.acquire().await?;
                Self::load_record(&mut conn, id).await
            }

            async fn list_requests(
                &self,
                filter: &$crate::RequestFilter,
            ) -> Result<$crate::Page<$crate::RequestRecord>, $crate::StoreError> {
                let limit = filter.limit.clamp(1, $crate::backend::MAX_PAGE) as usize;
                let mut conn = self.pool.acquire().await?;
                let query = $crate::sql::LIST_REQUESTS;
                let mut rows = sqlx::query_as::<_, $crate::rows::RequestRow>(query)
                    .bind(filter.status.map(|s| s.as_str()))
                    .bind(filter.kind.map(|k| k.as_str()))
                    .bind(filter.due_before)
                    .bind(filter.external_id.as_deref())
                    .bind(filter.after)
                    .bind(limit as i64 + 1)
                    .bind(i64::from(filter.awaiting_manual))
                    .fetch_all(&mut *conn)
                    .await?;
                let next = if rows.len() > limit {
                    rows.truncate(limit);
                    rows.last().map(|r| r.id)
                } else {
                    None
                };
                let items = Self::load_records(&mut conn, rows).await?;
                Ok($crate::Page { items, next })
            }

            async fn transition(
                &self,
                id: uuid::Uuid,
                change: $crate::StatusChange,
            ) -> Result<$crate::RequestRecord, $crate::StoreError> {
                for _ in 0..2 {
                    if let Some(record) = self.try_transition(id, &change).await? {
                        return Ok(record);
                    }
                }
                Err($crate::StoreError::Contended)
            }

            async fn extend(
                &self,
                id: uuid::Uuid,
                extension: $crate::Extension,
            ) -> Result<$crate::RequestRecord, $crate::StoreError> {
                for _ in 0..2 {
                    if let Some(record) = self.try_extend(id, &extension).await? {
                        return Ok(record);
                    }
                }
                Err($crate::StoreError::Contended)
            }

            async fn list_audit(
                &self,
                filter: &$crate::AuditFilter,
            ) -> Result<Vec<$crate::AuditEvent>, $crate::StoreError> {
                let limit = filter.limit.clamp(1, $crate::backend::MAX_AUDIT_PAGE);
                let rows = sqlx::query_as::<_, $crate::rows::AuditRow>($crate::sql::LIST_AUDIT)
                    .bind(filter.after_seq.unwrap_or(0))
                    .bind(filter.request_id)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn insert_steps(&self, request_id: uuid::Uuid, steps: Vec<$crate::NewStep>) -> Result<Vec<$crate::StepRecord>, $crate::StoreError> {
                self.queue_insert_steps(request_id, steps).await
            }
            async fn claim_steps(&self, worker: &str, lease: std::time::Duration, limit: u32, connector: Option<&str>) -> Result<Vec<$crate::ClaimedStep>, $crate::StoreError> {
                self.queue_claim_steps(worker, lease, limit, connector).await
            }
            async fn heartbeat_steps(&self, worker: &str, step_ids: &[uuid::Uuid], lease: std::time::Duration) -> Result<Vec<uuid::Uuid>, $crate::StoreError> {
                self.queue_heartbeat_steps(worker, step_ids, lease).await
            }
            async fn heartbeat(&self, step_id: uuid::Uuid, worker: &str, attempt: i32, lease: std::time::Duration) -> Result<bool, $crate::StoreError> {
                self.queue_heartbeat(step_id, worker, attempt, lease).await
            }
            async fn complete_step(&self, step_id: uuid::Uuid, worker: &str, attempt: i32, outcome: $crate::StepOutcome) -> Result<bool, $crate::StoreError> {
                self.queue_complete_step(step_id, worker, attempt, outcome).await
            }
            async fn release_steps(&self, worker: &str) -> Result<u64, $crate::StoreError> {
                self.queue_release_steps(worker).await
            }
            async fn list_steps(&self, request_id: uuid::Uuid) -> Result<Vec<$crate::StepRecord>, $crate::StoreError> {
                self.queue_list_steps(request_id).await
            }
            async fn retry_failed_steps(&self, request_id: uuid::Uuid) -> Result<u64, $crate::StoreError> {
                self.queue_retry_failed_steps(request_id).await
            }
            async fn finish_manual_step(&self, request_id: uuid::Uuid, step_key: &str, finish: $crate::ManualFinish) -> Result<$crate::StepRecord, $crate::StoreError> {
                self.manual_finish_step(request_id, step_key, finish).await
            }
            async fn searched_values(&self, request_id: uuid::Uuid) -> Result<Vec<$crate::SearchedValue>, $crate::StoreError> {
                self.results_searched_values(request_id).await
            }
            async fn propose_identifiers(&self, request_id: uuid::Uuid, proposals: Vec<$crate::NewProposal>) -> Result<u64, $crate::StoreError> {
                self.results_propose_identifiers(request_id, proposals).await
            }
            async fn accept_identifiers(&self, request_id: uuid::Uuid, hashes: &[String], actor: &str) -> Result<$crate::RequestRecord, $crate::StoreError> {
                self.results_accept_identifiers(request_id, hashes, actor).await
            }
            async fn step_outputs(&self, request_id: uuid::Uuid) -> Result<Vec<(String, serde_json::Value)>, $crate::StoreError> {
                self.results_step_outputs(request_id).await
            }
            async fn purge_outputs(&self, request_id: uuid::Uuid) -> Result<u64, $crate::StoreError> {
                self.results_purge_outputs(request_id).await
            }
            async fn destroy_identifiers(&self, closed_before: chrono::DateTime<chrono::Utc>) -> Result<u64, $crate::StoreError> {
                self.results_destroy_identifiers(closed_before).await
            }
            async fn claim_callbacks(&self, worker: &str, lease: std::time::Duration, limit: u32) -> Result<Vec<$crate::ClaimedCallback>, $crate::StoreError> {
                self.outbox_claim(worker, lease, limit).await
            }
            async fn record_callback(&self, event_id: uuid::Uuid, worker: &str, outcome: $crate::CallbackOutcome, duration: std::time::Duration) -> Result<bool, $crate::StoreError> {
                self.outbox_record(event_id, worker, outcome, duration).await
            }
            async fn list_callbacks(&self, request_id: uuid::Uuid) -> Result<Vec<$crate::CallbackRecord>, $crate::StoreError> {
                self.outbox_list(request_id).await
            }
            async fn status_counts(&self) -> Result<$crate::StatusCounts, $crate::StoreError> {
                let mut tx = self.begin_snapshot().await?;
                let requests = sqlx::query_as::<_, (String, i64)>($crate::sql::REQUEST_STATUS_COUNTS)
                    .fetch_all(&mut *tx)
                    .await?;
                let steps = sqlx::query_as::<_, (String, i64)>($crate::sql::STEP_STATUS_COUNTS)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.rollback().await?;
                let mut out = $crate::StatusCounts {
                    requests: lethe_domain::RequestStatus::ALL.into_iter().map(|s| (s, 0)).collect(),
                    steps: lethe_domain::StepStatus::ALL.into_iter().map(|s| (s, 0)).collect(),
                };
                for (s, n) in requests {
                    if let Some(s) = lethe_domain::RequestStatus::parse(&s) {
                        out.requests.insert(s, n);
                    }
                }
                for (s, n) in steps {
                    if let Some(s) = lethe_domain::StepStatus::parse(&s) {
                        out.steps.insert(s, n);
                    }
                }
                Ok(out)
            }
            fn work_signal(&self) -> tokio::sync::watch::Receiver<u64> {
                self.subscribe_work()
            }

            async fn verify_audit(&self) -> Result<$crate::AuditVerification, $crate::StoreError> {
                let mut tx = self.begin_snapshot().await?;
                let mut walk = $crate::audit::ChainWalk::new(&self.audit_key);
                loop {
                    let page = sqlx::query_as::<_, $crate::rows::AuditRow>($crate::sql::AUDIT_PAGE)
                        .bind(walk.last_seq())
                        .bind($crate::backend::VERIFY_PAGE)
                        .fetch_all(&mut *tx)
                        .await?;
                    let done = (page.len() as i64) < $crate::backend::VERIFY_PAGE;
                    for row in page {
                        walk.feed(&row.into());
                    }
                    if done {
                        break;
                    }
                }
                let head = sqlx::query_as::<_, $crate::rows::HeadRow>($crate::sql::AUDIT_HEAD)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.rollback().await?;
                Ok(walk.finish(head.map(|h| (h.seq, h.hash))))
            }
        }
    };
}

pub(crate) use impl_store;
