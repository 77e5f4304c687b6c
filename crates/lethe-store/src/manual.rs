//! Manual steps: the work a person does where no API reaches. A worker
//! parks such a step in `awaiting_manual`; here an approver's decision
//! finishes it. Expanded per backend by [`impl_manual!`]; the `Store` impl
//! delegates here.

/// Expands the manual-step methods for one backend (`$store`, `$conn`).
macro_rules! impl_manual {
    ($store:ty, $conn:ty) => {
        impl $store {
            async fn manual_finish_step(
                &self,
                request_id: uuid::Uuid,
                step_key: &str,
                finish: $crate::ManualFinish,
            ) -> Result<$crate::StepRecord, $crate::StoreError> {
                use lethe_domain::{StepAction, StepStatus};
                use $crate::{ManualDecision, StoreError};
                let mut w = self.begin_write().await?;
                let now = w.now();
                let request =
                    sqlx::query_as::<_, $crate::rows::RequestRow>($crate::sql::SELECT_REQUEST)
                        .bind(request_id)
                        .fetch_optional(w.conn())
                        .await?
                        .ok_or(StoreError::NotFound)?;
                let status = request.status()?;
                // A closed request's plan is history: a late decision would
                // rewrite evidence that was already reported.
                if status.is_terminal() {
                    return Err(StoreError::Closed(status));
                }
                let row = sqlx::query_as::<_, $crate::rows::StepRow>($crate::sql::SELECT_STEP_BY_KEY)
                    .bind(request_id)
                    .bind(step_key)
                    .fetch_optional(w.conn())
                    .await?
                    .ok_or(StoreError::StepNotFound)?;
                if row.action()? != StepAction::Manual {
                    return Err(StoreError::StepConflict(format!(
                        "step `{step_key}` is a {} step, not a manual one: only manual steps are confirmed or declined",
                        row.action
                    )));
                }
                if row.status()? != StepStatus::AwaitingManual {
                    return Err(StoreError::StepConflict(format!(
                        "step `{step_key}` is {}; only a step that is awaiting_manual can be confirmed or declined",
                        row.status
                    )));
                }
                let decision = finish.decision;
                let detail = serde_json::json!({
                    "note": finish.note,
                    "decided_by": finish.actor,
                    "decision": decision.as_str(),
                });
                let reason = (decision == ManualDecision::Declined)
                    .then_some("declined by an approver; the note says why");
                let updated = sqlx::query($crate::sql::FINISH_MANUAL)
                    .bind(row.id)
                    .bind(decision.status().as_str())
                    .bind(now)
                    .bind(reason)
                    .bind(detail.to_string())
                    .execute(w.conn())
                    .await?
                    .rows_affected();
                if updated == 0 {
                    // The writer lock serialises decisions, so this is a
                    // writer that bypassed the store.
                    w.rollback().await?;
                    return Err(StoreError::Contended);
                }
                // Like every `step.*` event: keys, action and attempt; then
                // the decision and what the API adds (the note's keyed
                // hash). The note itself is free text a person typed: it
                // may name anyone, so it never enters the audit chain.
                let mut data = $crate::backend::step_audit_data(&row, None);
                if let serde_json::Value::Object(extra) = finish.audit_data {
                    for (k, v) in extra.into_iter().filter(|(k, _)| k != "note") {
                        data[k] = v;
                    }
                }
                data["decision"] = decision.as_str().into();
                let kind = format!("step.{}", decision.as_str());
                self.append_audit(w.conn(), now, &finish.actor, Some(request_id), &kind, &data)
                    .await?;
                let step = Self::load_steps(w.conn(), request_id)
                    .await?
                    .into_iter()
                    .find(|s| s.id == row.id)
                    .ok_or(StoreError::StepNotFound)?;
                w.commit().await?;
                self.signal_work().await;
                tracing::debug!(
                    request.id = %request_id, step.id = %row.id, decision = decision.as_str(),
                    "manual step finished"
                );
                Ok(step)
            }
        }
    };
}

pub(crate) use impl_manual;
