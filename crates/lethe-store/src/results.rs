//! What discovery and export leave in the store: proposed identifiers (and
//! their acceptance) and exported records. Expanded per backend by
//! [`impl_results!`]; the `Store` impl delegates here.

/// Expands the result methods for one backend (`$store`, `$conn`).
macro_rules! impl_results {
    ($store:ty, $conn:ty) => {
        impl $store {
            async fn results_searched_values(
                &self,
                request_id: uuid::Uuid,
            ) -> Result<Vec<$crate::SearchedValue>, $crate::StoreError> {
                let mut tx = self.begin_snapshot().await?;
                let rows = sqlx::query_as::<_, (String, String)>($crate::sql::SEARCHED_VALUES)
                    .bind(request_id)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.rollback().await?;
                rows.into_iter()
                    .map(|(kind, value)| {
                        let kind = lethe_domain::IdentifierKind::parse(&kind).ok_or_else(|| {
                            $crate::StoreError::Corrupt(format!("unknown identifier kind {kind:?}"))
                        })?;
                        Ok($crate::SearchedValue { kind, value })
                    })
                    .collect()
            }

            async fn results_propose_identifiers(
                &self,
                request_id: uuid::Uuid,
                proposals: Vec<$crate::NewProposal>,
            ) -> Result<u64, $crate::StoreError> {
                if proposals.is_empty() {
                    return Ok(0);
                }
                let mut w = self.begin_write().await?;
                let now = w.now();
                let mut ordinal = sqlx::query_scalar::<_, i64>($crate::sql::NEXT_ORDINAL)
                    .bind(request_id)
                    .fetch_one(w.conn())
                    .await?;
                let mut added = Vec::new();
                for p in &proposals {
                    let exists = sqlx::query_scalar::<_, i64>($crate::sql::IDENTIFIER_EXISTS)
                        .bind(request_id)
                        .bind(&p.hash)
                        .fetch_one(w.conn())
                        .await?;
                    if exists > 0 {
                        continue;
                    }
                    sqlx::query($crate::sql::INSERT_PROPOSAL)
                        .bind(uuid::Uuid::now_v7())
                        .bind(request_id)
                        .bind(ordinal as i32)
                        .bind(p.kind.as_str())
                        .bind(&p.value)
                        .bind(&p.hash)
                        .bind(&p.hint)
                        .bind(&p.source)
                        .execute(w.conn())
                        .await?;
                    ordinal += 1;
                    added.push(serde_json::json!({
                        "kind": p.kind.as_str(), "hash": p.hash, "source": p.source,
                    }));
                }
                if !added.is_empty() {
                    let data = serde_json::json!({ "identifiers": added });
                    self.append_audit(w.conn(), now, "lethe", Some(request_id), "identifiers.proposed", &data)
                        .await?;
                }
                w.commit().await?;
                Ok(added.len() as u64)
            }

            async fn results_accept_identifiers(
                &self,
                request_id: uuid::Uuid,
                hashes: &[String],
                actor: &str,
            ) -> Result<$crate::RequestRecord, $crate::StoreError> {
                let mut w = self.begin_write().await?;
                let now = w.now();
                for hash in hashes {
                    let n = sqlx::query($crate::sql::ACCEPT_PROPOSAL)
                        .bind(request_id)
                        .bind(hash)
                        .execute(w.conn())
                        .await?
                        .rows_affected();
                    if n == 0 {
                        w.rollback().await?;
                        return Err($crate::StoreError::NotFound);
                    }
                }
                let data = serde_json::json!({ "hashes": hashes });
                self.append_audit(w.conn(), now, actor, Some(request_id), "identifiers.accepted", &data)
                    .await?;
                let record = Self::load_record(w.conn(), request_id)
                    .await?
                    .ok_or($crate::StoreError::NotFound)?;
                w.commit().await?;
                self.signal_work().await;
                Ok(record)
            }

            async fn results_step_outputs(
                &self,
                request_id: uuid::Uuid,
            ) -> Result<Vec<(String, serde_json::Value)>, $crate::StoreError> {
                let mut tx = self.begin_snapshot().await?;
                let rows = sqlx::query_as::<_, (String, String)>($crate::sql::OUTPUTS_OF_REQUEST)
                    .bind(request_id)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.rollback().await?;
                rows.into_iter()
                    .map(|(key, payload)| {
                        let v = serde_json::from_str(&payload).map_err(|e| {
                            $crate::StoreError::Corrupt(format!("step output is not JSON: {e}"))
                        })?;
                        Ok((key, v))
                    })
                    .collect()
            }

            async fn results_destroy_identifiers(
                &self,
                closed_before: chrono::DateTime<chrono::Utc>,
            ) -> Result<u64, $crate::StoreError> {
                let mut w = self.begin_write().await?;
                let now = w.now();
                let mut ids = sqlx::query_scalar::<_, uuid::Uuid>($crate::sql::DESTROY_IDENTIFIERS)
                    .bind(now)
                    .bind(w.on_store_clock(closed_before))
                    .fetch_all(w.conn())
                    .await?;
                let destroyed = ids.len() as u64;
                ids.sort();
                let mut per_request: Vec<(uuid::Uuid, u64)> = Vec::new();
                for id in ids {
                    match per_request.last_mut() {
                        Some((last, n)) if *last == id => *n += 1,
                        _ => per_request.push((id, 1)),
                    }
                }
                for (id, n) in per_request {
                    // Step outputs hold personal data found with the
                    // identifiers (exports, follow-ups): they go too.
                    sqlx::query($crate::sql::PURGE_OUTPUTS)
                        .bind(id)
                        .execute(w.conn())
                        .await?;
                    let data = serde_json::json!({ "identifiers": n });
                    self.append_audit(w.conn(), now, "lethe", Some(id), "identifiers.destroyed", &data)
                        .await?;
                }
                w.commit().await?;
                if destroyed > 0 {
                    self.forget_old_pages().await?;
                }
                Ok(destroyed)
            }

            async fn results_purge_outputs(
                &self,
                request_id: uuid::Uuid,
            ) -> Result<u64, $crate::StoreError> {
                let mut w = self.begin_write().await?;
                let now = w.now();
                let n = sqlx::query($crate::sql::PURGE_OUTPUTS)
                    .bind(request_id)
                    .execute(w.conn())
                    .await?
                    .rows_affected();
                if n > 0 {
                    let data = serde_json::json!({ "outputs": n });
                    self.append_audit(w.conn(), now, "lethe", Some(request_id), "package.expired", &data)
                        .await?;
                }
                w.commit().await?;
                Ok(n)
            }
        }
    };
}

pub(crate) use impl_results;
