//! [`CloudLinkConnector`]: discovery, export, erasure and verification of
//! CloudLink users and their open conversations.
//!
//! Every call starts with the same [`Scan`] of the batch: the users found
//! by email, by user id and (with `scan_names`) by a full listing, each
//! attributed to the subjects it matches, and the conversations each
//! matched user takes part in. Nothing is cached between calls, so
//! verification reads CloudLink afresh.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use lethe_domain::{IdentifierHasher, Replacement, Subject, TargetInfo};
use reqwest::Method;
use serde_json::{json, Value};

use super::client::{Api, Client};
use super::scan::{conversation_id, finding, is_open, Scan};
use super::target::CloudLinkTarget;
use super::users::{anonymised, is_anonymised, odata_literal, strengths, user_id, Strength};
use crate::connector::{BatchSubject, Connector, ConnectorError, Erasure, Export, Finding};
use crate::files::Matcher;

/// The `cloudlink` connector: serves every `[[cloudlink]]` target, each
/// with its own client and tokens.
#[derive(Clone)]
pub struct CloudLinkConnector {
    inner: Arc<Inner>,
}

struct Inner {
    targets: Vec<Compiled>,
    hasher: Option<IdentifierHasher>,
}

struct Compiled {
    target: CloudLinkTarget,
    client: Client,
}

impl std::fmt::Debug for CloudLinkConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudLinkConnector")
            .field("targets", &self.inner.targets.len())
            .finish_non_exhaustive()
    }
}

impl CloudLinkConnector {
    /// Checks every target without connecting, so a bad `lethe.toml`
    /// stops lethe at startup. `pseudonym` is the key of `pseudonym`
    /// replacements; a target asking for them without one is refused.
    pub fn new(
        targets: Vec<CloudLinkTarget>,
        pseudonym: Option<IdentifierHasher>,
    ) -> Result<Self, String> {
        let mut compiled: Vec<Compiled> = Vec::with_capacity(targets.len());
        for target in targets {
            let name = target.name.clone();
            if compiled.iter().any(|c| c.target.name == name) {
                return Err(format!(
                    "cloudlink target `{name}` is declared twice; give each `[[cloudlink]]` table its own `name`"
                ));
            }
            target.validate()?;
            if matches!(target.replacement(), Some(Replacement::Pseudonym)) && pseudonym.is_none() {
                return Err(format!(
                    "cloudlink target `{name}`: pseudonym replacements need the pseudonym key, which is not configured"
                ));
            }
            let client = Client::new(&target.connection)
                .map_err(|e| format!("cloudlink target `{name}`: {e}"))?;
            compiled.push(Compiled { target, client });
        }
        Ok(Self {
            inner: Arc::new(Inner {
                targets: compiled,
                hasher: pseudonym,
            }),
        })
    }

    fn compiled(&self, name: &str) -> Result<&Compiled, ConnectorError> {
        self.inner
            .targets
            .iter()
            .find(|c| c.target.name == name)
            .ok_or_else(|| ConnectorError::permanent(format!("unknown cloudlink target `{name}`")))
    }

    /// Finds the batch's users and their conversations.
    async fn scan(&self, c: &Compiled, subjects: &[Subject]) -> Result<Scan, ConnectorError> {
        let t = &c.target;
        let account = t.connection.account_id.as_str();
        let users_path = ["accounts", account, "users"];
        let mut found: Vec<Value> = Vec::new();
        let emails: BTreeSet<&str> = subjects
            .iter()
            .flat_map(|s| s.emails.iter().map(|e| e.normalised()))
            .collect();
        for email in emails {
            let filter = format!("email eq {}", odata_literal(email));
            found.extend(
                c.client
                    .list(
                        Api::Admin,
                        &users_path,
                        Some(filter),
                        t.page_size,
                        "GET users",
                    )
                    .await?,
            );
        }
        let ids: BTreeSet<&str> = subjects
            .iter()
            .flat_map(|s| s.cloudlink_user_ids.iter().map(|u| u.normalised()))
            // Not a path segment: no user can have it.
            .filter(|id| *id != "." && *id != "..")
            .collect();
        for id in ids {
            let reply = c
                .client
                .call(
                    Method::GET,
                    Api::Admin,
                    &["accounts", account, "users", id],
                    None,
                    "GET users/{userId}",
                    &[404],
                )
                .await?;
            if reply.status != 404 && reply.json.is_object() {
                found.push(reply.json);
            }
        }
        if t.scan_names && subjects.iter().any(|s| !s.names.is_empty()) {
            found.extend(
                c.client
                    .list(Api::Admin, &users_path, None, t.page_size, "GET users")
                    .await?,
            );
        }
        let mut seen = HashSet::new();
        let users: Vec<Value> = found
            .into_iter()
            .filter(|u| user_id(u).is_some_and(|id| seen.insert(id.to_owned())))
            .collect();

        let matcher = Matcher::for_subjects(subjects)
            .map_err(|e| ConnectorError::permanent(format!("cannot compile identifiers: {e}")))?;
        let mut matches = vec![Vec::new(); subjects.len()];
        let hasher = self.inner.hasher.as_ref();
        for (u, user) in users.iter().enumerate() {
            if t.replacement()
                .is_some_and(|w| is_anonymised(user, w, hasher))
            {
                continue;
            }
            for (s, strength) in strengths(user, subjects, &matcher).into_iter().enumerate() {
                if let Some(strength) = strength {
                    matches[s].push((u, strength));
                }
            }
        }
        let matched: BTreeSet<usize> = matches.iter().flatten().map(|(u, _)| *u).collect();
        let mut conversations = HashMap::new();
        for u in matched {
            let Some(id) = user_id(&users[u]) else {
                continue;
            };
            let filter = format!("participantId eq {}", odata_literal(id));
            let list = c
                .client
                .list(
                    Api::Chat,
                    &["conversations"],
                    Some(filter),
                    t.page_size,
                    "GET conversations",
                )
                .await?;
            conversations.insert(u, list);
        }
        Ok(Scan {
            users,
            matches,
            conversations,
        })
    }

    async fn discover_with(
        &self,
        c: &Compiled,
        batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError> {
        let subjects = BatchSubject::subjects(batch);
        let scan = self.scan(c, &subjects).await?;
        Ok(subjects
            .iter()
            .zip(&scan.matches)
            .map(|(subject, matches)| finding(&scan, subject, matches))
            .collect())
    }

    async fn export_with(
        &self,
        c: &Compiled,
        batch: &[BatchSubject],
    ) -> Result<Vec<Export>, ConnectorError> {
        let subjects = BatchSubject::subjects(batch);
        let scan = self.scan(c, &subjects).await?;
        let mut messages: HashMap<String, Vec<Value>> = HashMap::new();
        let mut exports = Vec::with_capacity(batch.len());
        for matches in &scan.matches {
            let mut records = Vec::new();
            let mut done = HashSet::new();
            for &(u, strength) in matches {
                let user = &scan.users[u];
                let label = match strength {
                    Strength::Strong => "strong",
                    Strength::Weak => "weak",
                };
                records.push(json!({
                    "place": "users",
                    "id": user_id(user),
                    "match": label,
                    "document": user,
                }));
                for conv in scan.conversations_of(u) {
                    let Some(id) = conversation_id(conv) else {
                        continue;
                    };
                    if !done.insert(id.to_owned()) {
                        continue;
                    }
                    if !messages.contains_key(id) {
                        let list = c
                            .client
                            .list(
                                Api::Chat,
                                &["conversations", id, "messages"],
                                None,
                                c.target.page_size,
                                "GET conversations/{conversationId}/messages",
                            )
                            .await?;
                        messages.insert(id.to_owned(), list);
                    }
                    let mut document = conv.clone();
                    document["messages"] = Value::Array(messages[id].clone());
                    records.push(json!({
                        "place": "conversations",
                        "id": id,
                        "match": label,
                        "document": document,
                    }));
                }
            }
            exports.push(Export { records });
        }
        Ok(exports)
    }

    /// Open conversations first, then the user: a run cut short leaves
    /// the user, through whom a re-run finds the conversations again.
    async fn erase_with(
        &self,
        c: &Compiled,
        batch: &[BatchSubject],
    ) -> Result<Vec<Erasure>, ConnectorError> {
        let subjects = BatchSubject::subjects(batch);
        let scan = self.scan(c, &subjects).await?;
        let account = c.target.connection.account_id.as_str();
        let hasher = self.inner.hasher.as_ref();
        // Items this call changed, so a user or chat of two subjects of
        // the batch is written once and counted for both.
        let mut changed: HashMap<String, bool> = HashMap::new();
        let mut out = Vec::with_capacity(batch.len());
        for (b, matches) in batch.iter().zip(&scan.matches) {
            let mut affected = 0u64;
            for &(u, strength) in matches {
                if strength == Strength::Weak && !b.include_weak {
                    continue;
                }
                for conv in scan.conversations_of(u).iter().filter(|c| is_open(c)) {
                    let Some(id) = conversation_id(conv) else {
                        continue;
                    };
                    let key = format!("conversation:{id}");
                    if !changed.contains_key(&key) {
                        let reply = c
                            .client
                            .call(
                                Method::DELETE,
                                Api::Chat,
                                &["conversations", id],
                                None,
                                "DELETE conversations/{conversationId}",
                                &[404],
                            )
                            .await?;
                        changed.insert(key.clone(), reply.status != 404);
                    }
                    affected += u64::from(changed[&key]);
                }
                let user = &scan.users[u];
                let Some(id) = user_id(user) else { continue };
                let key = format!("user:{id}");
                if !changed.contains_key(&key) {
                    let path = ["accounts", account, "users", id];
                    let reply = match c.target.replacement() {
                        None => {
                            c.client
                                .call(
                                    Method::DELETE,
                                    Api::Admin,
                                    &path,
                                    None,
                                    "DELETE users/{userId}",
                                    &[404],
                                )
                                .await?
                        }
                        Some(with) => {
                            let body = anonymised(user, with, hasher);
                            c.client
                                .call(
                                    Method::PUT,
                                    Api::Admin,
                                    &path,
                                    Some(&body),
                                    "PUT users/{userId}",
                                    &[404],
                                )
                                .await?
                        }
                    };
                    changed.insert(key.clone(), reply.status != 404);
                }
                affected += u64::from(changed[&key]);
            }
            out.push(Erasure { affected });
        }
        tracing::debug!(
            target = %c.target.name,
            items = changed.values().filter(|v| **v).count(),
            "cloudlink erasure done"
        );
        Ok(out)
    }
}

#[async_trait]
impl Connector for CloudLinkConnector {
    fn kind(&self) -> &'static str {
        "cloudlink"
    }

    fn targets(&self) -> Vec<TargetInfo> {
        self.inner.targets.iter().map(|c| c.target.info()).collect()
    }

    async fn discover(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError> {
        self.discover_with(self.compiled(target)?, batch).await
    }

    async fn export(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Export>, ConnectorError> {
        self.export_with(self.compiled(target)?, batch).await
    }

    async fn erase(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Erasure>, ConnectorError> {
        self.erase_with(self.compiled(target)?, batch).await
    }
}
