//! The step queue's half of the store implementation, expanded per backend
//! by [`impl_step_queue!`] beside [`impl_store!`](crate::backend::impl_store),
//! whose `Store` impl delegates the step methods here. Kept apart so each
//! half stays readable; the SQL is still shared by both backends.

/// Expands the step-queue methods for one backend (`$store`, `$conn`).
macro_rules! impl_step_queue {
    ($store:ty, $conn:ty) => {
        impl $store {

            /// Steps of a request with their attempts: two queries.
            async fn load_steps(
                conn: &mut $conn,
                request_id: uuid::Uuid,
            ) -> Result<Vec<$crate::StepRecord>, $crate::StoreError> {
                let steps = sqlx::query_as::<_, $crate::rows::StepRow>($crate::sql::STEPS_OF_REQUEST)
                    .bind(request_id)
                    .fetch_all(&mut *conn)
                    .await?;
                let attempts =
                    sqlx::query_as::<_, $crate::rows::AttemptRow>($crate::sql::ATTEMPTS_OF_REQUEST)
                        .bind(request_id)
                        .fetch_all(&mut *conn)
                        .await?;
                $crate::rows::assemble_steps(steps, attempts)
            }

            /// Closes the attempts of expired leases and puts their steps
            /// back (or fails them), with one audit event per step.
            async fn rescue_expired(
                &self,
                conn: &mut $conn,
                now: chrono::DateTime<chrono::Utc>,
                actor: &str,
            ) -> Result<(), $crate::StoreError> {
                use $crate::backend::LEASE_EXPIRED_ERROR;
                sqlx::query($crate::sql::CLOSE_EXPIRED_ATTEMPTS)
                    .bind(now)
                    .bind(LEASE_EXPIRED_ERROR)
                    .execute(&mut *conn)
                    .await?;
                let mut rescued =
                    sqlx::query_as::<_, $crate::rows::StepRow>($crate::sql::RESCUE_EXPIRED)
                        .bind(now)
                        .bind(LEASE_EXPIRED_ERROR)
                        .fetch_all(&mut *conn)
                        .await?;
                // `returning` has no order; the chain should not depend on it.
                rescued.sort_by_key(|r| r.id);
                for step in &rescued {
                    let mut data = $crate::backend::step_audit_data(step, None);
                    data["reason"] = "lease_expired".into();
                    let kind = format!("step.{}", step.status);
                    self.append_audit(conn, now, actor, Some(step.request_id), &kind, &data)
                        .await?;
                    tracing::warn!(
                        step.id = %step.id, step.status = %step.status, "expired step lease rescued"
                    );
                }
                Ok(())
            }

            async fn queue_insert_steps(
                &self,
                request_id: uuid::Uuid,
                steps: Vec<$crate::NewStep>,
            ) -> Result<Vec<$crate::StepRecord>, $crate::StoreError> {
                let mut w = self.begin_write().await?;
                let now = w.now();
                let exists = sqlx::query_scalar::<_, i64>($crate::sql::REQUEST_EXISTS)
                    .bind(request_id)
                    .fetch_one(w.conn())
                    .await?;
                if exists == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                for step in &steps {
                    sqlx::query($crate::sql::INSERT_STEP)
                        .bind(uuid::Uuid::now_v7())
                        .bind(request_id)
                        .bind(&step.step_key)
                        .bind(&step.connector)
                        .bind(&step.target)
                        .bind($crate::rows::action_str(step.action))
                        .bind(step.max_attempts)
                        .bind(w.on_store_clock(step.run_at))
                        .bind(now)
                        .execute(w.conn())
                        .await?;
                }
                let stored = Self::load_steps(w.conn(), request_id).await?;
                w.commit().await?;
                self.signal_work().await;
                let mut by_key: std::collections::HashMap<String, $crate::StepRecord> =
                    stored.into_iter().map(|s| (s.step_key.clone(), s)).collect();
                Ok(steps.iter().filter_map(|s| by_key.remove(&s.step_key)).collect())
            }

            async fn queue_claim_steps(
                &self,
                worker: &str,
                lease: std::time::Duration,
                limit: u32,
                connector: Option<&str>,
            ) -> Result<Vec<$crate::ClaimedStep>, $crate::StoreError> {
                let limit = limit.min($crate::backend::MAX_CLAIM);
                let mut w = self.begin_write().await?;
                let now = w.now();
                let expires = $crate::backend::lease_expiry(now, lease);
                self.rescue_expired(w.conn(), now, worker).await?;
                let mut claimed = if limit == 0 {
                    Vec::new()
                } else {
                    sqlx::query_as::<_, $crate::rows::StepRow>(Self::CLAIM_STEPS)
                        .bind(now)
                        .bind(worker)
                        .bind(expires)
                        .bind(connector)
                        .bind(i64::from(limit))
                        .fetch_all(w.conn())
                        .await?
                };
                claimed.sort_by(|a, b| (a.run_at, a.id).cmp(&(b.run_at, b.id)));
                for step in &claimed {
                    sqlx::query($crate::sql::INSERT_ATTEMPT)
                        .bind(uuid::Uuid::now_v7())
                        .bind(step.id)
                        .bind(step.attempt)
                        .bind(worker)
                        .bind(now)
                        .execute(w.conn())
                        .await?;
                }
                w.commit().await?;
                if !claimed.is_empty() {
                    tracing::debug!(worker, claimed = claimed.len(), "steps claimed");
                }
                claimed.into_iter().map($crate::rows::StepRow::into_claimed).collect()
            }

            async fn queue_heartbeat(
                &self,
                step_id: uuid::Uuid,
                worker: &str,
                attempt: i32,
                lease: std::time::Duration,
            ) -> Result<bool, $crate::StoreError> {
                let mut w = self.begin_write().await?;
                let expires = $crate::backend::lease_expiry(w.now(), lease);
                let updated = sqlx::query($crate::sql::HEARTBEAT)
                    .bind(step_id)
                    .bind(worker)
                    .bind(attempt)
                    .bind(expires)
                    .execute(w.conn())
                    .await?
                    .rows_affected();
                w.commit().await?;
                Ok(updated == 1)
            }

            async fn queue_heartbeat_steps(
                &self,
                worker: &str,
                step_ids: &[uuid::Uuid],
                lease: std::time::Duration,
            ) -> Result<Vec<uuid::Uuid>, $crate::StoreError> {
                let mut held = Vec::with_capacity(step_ids.len());
                // Bounded statements: a claim is at most MAX_CLAIM steps anyway.
                for chunk in step_ids.chunks($crate::backend::MAX_CLAIM as usize) {
                    let mut w = self.begin_write().await?;
                    let expires = $crate::backend::lease_expiry(w.now(), lease);
                    let sql = $crate::sql::heartbeat_steps(chunk.len());
                    let mut q = sqlx::query_scalar::<_, uuid::Uuid>(&sql).bind(expires).bind(worker);
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    held.extend(q.fetch_all(w.conn()).await?);
                    w.commit().await?;
                }
                Ok(held)
            }

            async fn queue_complete_step(
                &self,
                step_id: uuid::Uuid,
                worker: &str,
                attempt: i32,
                outcome: $crate::StepOutcome,
            ) -> Result<bool, $crate::StoreError> {
                use lethe_domain::StepStatus;
                use $crate::StepOutcome;
                let mut w = self.begin_write().await?;
                let now = w.now();
                let row = sqlx::query_as::<_, $crate::rows::StepRow>($crate::sql::SELECT_STEP)
                    .bind(step_id)
                    .fetch_optional(w.conn())
                    .await?;
                let Some(row) = row.filter(|r| {
                    r.status == StepStatus::Running.as_str()
                        && r.lease_owner.as_deref() == Some(worker)
                        && r.attempt == attempt
                }) else {
                    w.rollback().await?;
                    return Ok(false);
                };
                let exhausted = row.attempt >= row.max_attempts;
                // (status, run_at, counts, step error, attempt outcome, attempt error)
                let (status, run_at, counts, error, closed, attempt_error) = match &outcome {
                    StepOutcome::Succeeded { matched, affected, remaining, .. } => (
                        StepStatus::Succeeded,
                        None,
                        Some((*matched, *affected, *remaining)),
                        None,
                        "succeeded",
                        None,
                    ),
                    StepOutcome::Skipped { reason } => {
                        (StepStatus::Skipped, None, None, Some(reason.as_str()), "skipped", None)
                    }
                    StepOutcome::AwaitingManual => {
                        (StepStatus::AwaitingManual, None, None, None, "awaiting_manual", None)
                    }
                    StepOutcome::Transient { error, retry_at } => (
                        if exhausted { StepStatus::Failed } else { StepStatus::Retrying },
                        (!exhausted).then(|| w.on_store_clock(*retry_at)),
                        None,
                        Some(error.as_str()),
                        "transient",
                        Some(error.as_str()),
                    ),
                    StepOutcome::Permanent { error } => (
                        StepStatus::Failed,
                        None,
                        None,
                        Some(error.as_str()),
                        "permanent",
                        Some(error.as_str()),
                    ),
                };
                let finished = matches!(
                    status,
                    StepStatus::Succeeded | StepStatus::Skipped | StepStatus::Failed
                )
                .then_some(now);
                let (matched, affected, remaining) = counts.unwrap_or((None, None, None));
                let (detail, output) = match &outcome {
                    StepOutcome::Succeeded { detail, output, .. } => (
                        detail.as_ref().map(|d| d.to_string()),
                        output.as_ref().map(|o| o.to_string()),
                    ),
                    _ => (None, None),
                };
                let updated = sqlx::query($crate::sql::COMPLETE_STEP)
                    .bind(step_id)
                    .bind(worker)
                    .bind(attempt)
                    .bind(status.as_str())
                    .bind(run_at)
                    .bind(matched)
                    .bind(affected)
                    .bind(remaining)
                    .bind(error)
                    .bind(finished)
                    .bind(detail)
                    .execute(w.conn())
                    .await?
                    .rows_affected();
                if updated == 0 {
                    w.rollback().await?;
                    return Ok(false);
                }
                if let Some(payload) = output {
                    sqlx::query($crate::sql::UPSERT_OUTPUT)
                        .bind(step_id)
                        .bind(row.request_id)
                        .bind(payload)
                        .bind(now)
                        .execute(w.conn())
                        .await?;
                }
                sqlx::query($crate::sql::CLOSE_ATTEMPT)
                    .bind(step_id)
                    .bind(attempt)
                    .bind(now)
                    .bind(closed)
                    .bind(attempt_error)
                    .execute(w.conn())
                    .await?;
                let data = $crate::backend::step_audit_data(&row, counts);
                let kind = format!("step.{}", status.as_str());
                self.append_audit(w.conn(), now, worker, Some(row.request_id), &kind, &data)
                    .await?;
                w.commit().await?;
                tracing::debug!(step.id = %step_id, step.status = status.as_str(), "step completed");
                Ok(true)
            }

            async fn queue_release_steps(&self, worker: &str) -> Result<u64, $crate::StoreError> {
                let mut w = self.begin_write().await?;
                let now = w.now();
                sqlx::query($crate::sql::CLOSE_RELEASED_ATTEMPTS)
                    .bind(worker)
                    .bind(now)
                    .execute(w.conn())
                    .await?;
                let released = sqlx::query($crate::sql::RELEASE_STEPS)
                    .bind(worker)
                    .bind(now)
                    .execute(w.conn())
                    .await?
                    .rows_affected();
                w.commit().await?;
                self.signal_work().await;
                tracing::debug!(worker, released, "steps released");
                Ok(released)
            }

            async fn queue_list_steps(
                &self,
                request_id: uuid::Uuid,
            ) -> Result<Vec<$crate::StepRecord>, $crate::StoreError> {
                // One snapshot, so attempts match the steps they belong to.
                let mut tx = self.begin_snapshot().await?;
                let steps = Self::load_steps(&mut tx, request_id).await?;
                tx.rollback().await?;
                Ok(steps)
            }

            async fn queue_retry_failed_steps(
                &self,
                request_id: uuid::Uuid,
            ) -> Result<u64, $crate::StoreError> {
                let mut w = self.begin_write().await?;
                let now = w.now();
                let mut retried = sqlx::query_as::<_, $crate::rows::StepRow>($crate::sql::RETRY_FAILED)
                    .bind(request_id)
                    .bind(now)
                    .fetch_all(w.conn())
                    .await?;
                retried.sort_by_key(|r| r.id);
                for step in &retried {
                    let data = $crate::backend::step_audit_data(step, None);
                    self.append_audit(w.conn(), now, "lethe", Some(request_id), "step.retried", &data)
                        .await?;
                }
                w.commit().await?;
                self.signal_work().await;
                Ok(retried.len() as u64)
            }

        }
    };
}

pub(crate) use impl_step_queue;
