//! [`ElasticsearchConnector`]: discovery, export, erasure and verification
//! over the REST API, the same on Elasticsearch 7/8 and OpenSearch.
//!
//! Every call pages through one scrolled `_search` per slice of the batch
//! (see [`query`](super::query) and [`Scan`]), so no result window caps
//! what is found. Erasure works page by page:
//! each page's changes go out as one `_bulk` whose items are guarded by
//! `if_seq_no`/`if_primary_term`; an item that answers 409 (someone
//! wrote the document since it was read) is read again with `_mget`, its
//! change computed afresh, and sent again. No scripts: the new text is
//! computed here from the old, which is the only way to redact free text
//! anyway and works where Painless is disabled.

use std::collections::BTreeMap;
use std::future::Future;
use std::ops::Range;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use lethe_domain::{IdentifierHasher, IdentifierKind, Replacement, Strategy, Subject, TargetInfo};
use reqwest::Method;
use serde_json::{json, Value};

use super::client::{Body, Client};
use super::document::{hits, Rewriter};
use super::query::{batch_query, slices};
use super::scan::{Scan, Source};
use super::target::EsTarget;
use crate::connector::{BatchSubject, Connector, ConnectorError, Erasure, Export, Finding, Place};
use crate::files::Matcher;

/// Rounds of re-reading documents that answered 409 before the step is
/// handed back to the worker as a transient failure.
const CONFLICT_ROUNDS: usize = 8;

/// A test seam: called before each `_bulk` write of an erasure with the
/// round number (0 for a page's first write, 1.. for conflict retries),
/// so a test can play a concurrent writer at exactly that moment.
pub type WriteHook = Arc<dyn Fn(usize) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// The `elasticsearch` connector: serves every `[[elasticsearch]]` target;
/// targets on the same cluster share one HTTP client.
#[derive(Clone)]
pub struct ElasticsearchConnector {
    inner: Arc<Inner>,
}

struct Inner {
    targets: Vec<Compiled>,
    hasher: Option<IdentifierHasher>,
    conflicts: AtomicU64,
    hook: Mutex<Option<WriteHook>>,
}

struct Compiled {
    target: EsTarget,
    client: Arc<Client>,
}

impl std::fmt::Debug for ElasticsearchConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElasticsearchConnector")
            .field("targets", &self.inner.targets.len())
            .finish_non_exhaustive()
    }
}

/// One hit or `_mget` document: where it is, its version guard, its source.
struct Doc {
    index: String,
    id: String,
    seq_no: Option<u64>,
    primary_term: Option<u64>,
    source: Value,
}

impl Doc {
    fn parse(v: &Value) -> Option<Self> {
        Some(Self {
            index: v["_index"].as_str()?.to_owned(),
            id: v["_id"].as_str()?.to_owned(),
            seq_no: v["_seq_no"].as_u64(),
            primary_term: v["_primary_term"].as_u64(),
            source: v.get("_source").cloned().unwrap_or(Value::Null),
        })
    }

    /// The action line of a guarded `_bulk` item.
    fn action(&self, op: &str) -> Value {
        let mut meta = json!({ "_index": self.index, "_id": self.id });
        if let (Some(s), Some(t)) = (self.seq_no, self.primary_term) {
            meta["if_seq_no"] = json!(s);
            meta["if_primary_term"] = json!(t);
        }
        json!({ op: meta })
    }
}

/// Per subject of a slice: strong and weak, from the hits in one document.
fn strengths(hits: &[crate::files::Hit], n: usize) -> (Vec<bool>, Vec<bool>) {
    let mut strong = vec![false; n];
    let mut weak = vec![false; n];
    for h in hits {
        if h.kind == IdentifierKind::Name {
            weak[h.subject] = true;
        } else {
            strong[h.subject] = true;
        }
    }
    for i in 0..n {
        weak[i] &= !strong[i];
    }
    (strong, weak)
}

impl ElasticsearchConnector {
    /// Checks every target without connecting, so a bad `lethe.toml` stops
    /// lethe at startup. `pseudonym` is the key of `pseudonym`
    /// replacements; a target asking for them without one is refused.
    pub fn new(
        targets: Vec<EsTarget>,
        pseudonym: Option<IdentifierHasher>,
    ) -> Result<Self, String> {
        let mut compiled: Vec<Compiled> = Vec::with_capacity(targets.len());
        for target in targets {
            let name = target.name.clone();
            if compiled.iter().any(|c| c.target.name == name) {
                return Err(format!(
                    "elasticsearch target `{name}` is declared twice; give each `[[elasticsearch]]` table its own `name`"
                ));
            }
            target.validate()?;
            if matches!(target.replacement(), Some(Replacement::Pseudonym)) && pseudonym.is_none() {
                return Err(format!(
                    "elasticsearch target `{name}`: pseudonym replacements need the pseudonym key, which is not configured"
                ));
            }
            let shared = compiled
                .iter()
                .find(|c| c.target.connection.same_as(&target.connection))
                .map(|c| Arc::clone(&c.client));
            let client = match shared {
                Some(c) => c,
                None => Arc::new(
                    Client::new(&target.connection)
                        .map_err(|e| format!("elasticsearch target `{name}`: {e}"))?,
                ),
            };
            compiled.push(Compiled { target, client });
        }
        Ok(Self {
            inner: Arc::new(Inner {
                targets: compiled,
                hasher: pseudonym,
                conflicts: AtomicU64::new(0),
                hook: Mutex::new(None),
            }),
        })
    }

    /// Bulk items that answered 409 and were read again and retried, since
    /// this connector was built.
    pub fn conflicts_retried(&self) -> u64 {
        self.inner.conflicts.load(Ordering::Relaxed)
    }

    /// Installs a [`WriteHook`] (tests only).
    #[doc(hidden)]
    pub fn set_write_hook(&self, hook: WriteHook) {
        *self.inner.hook.lock().expect("hook lock") = Some(hook);
    }

    fn compiled(&self, name: &str) -> Result<&Compiled, ConnectorError> {
        self.inner
            .targets
            .iter()
            .find(|c| c.target.name == name)
            .ok_or_else(|| {
                ConnectorError::permanent(format!("unknown elasticsearch target `{name}`"))
            })
    }

    /// Makes every write so far visible to searches of the target.
    async fn refresh(&self, c: &Compiled) -> Result<(), ConnectorError> {
        let path = format!(
            "{}/_refresh?ignore_unavailable=true&allow_no_indices=true",
            c.target.index
        );
        c.client.send(Method::POST, &path, Body::None, &[]).await?;
        Ok(())
    }

    /// Discovery of one slice.
    async fn discover_slice(
        &self,
        c: &Compiled,
        batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError> {
        let t = &c.target;
        let subjects = &BatchSubject::subjects(batch)[..];
        let n = subjects.len();
        let mut findings = vec![Finding::default(); n];
        let matcher = matcher(subjects)?;
        if matcher.is_empty() {
            return Ok(findings);
        }
        let fields: Vec<String> = t.read_fields().map(str::to_owned).collect();
        let Some(query) = batch_query(t, subjects) else {
            return Ok(findings);
        };
        let mut places: Vec<BTreeMap<String, (u64, u64)>> = vec![BTreeMap::new(); n];
        let mut scan = Scan::new(&c.client, t, &query, Source::Fields(&fields), false);
        while let Some(page) = scan.next().await? {
            for hit in &page {
                let Some(doc) = Doc::parse(hit) else { continue };
                let (strong, weak) = strengths(&hits(t, &matcher, &doc.source), n);
                for i in 0..n {
                    if strong[i] || weak[i] {
                        let p = places[i].entry(doc.index.clone()).or_default();
                        if strong[i] {
                            findings[i].matched += 1;
                            p.0 += 1;
                        } else {
                            findings[i].weak += 1;
                            p.1 += 1;
                        }
                    }
                }
            }
        }
        for (f, p) in findings.iter_mut().zip(places) {
            f.places = p
                .into_iter()
                .map(|(place, (items, weak))| Place { place, items, weak })
                .collect();
        }
        Ok(findings)
    }

    /// Export of one slice: every matched document, whole, with its index
    /// and id.
    async fn export_slice(
        &self,
        c: &Compiled,
        batch: &[BatchSubject],
    ) -> Result<Vec<Export>, ConnectorError> {
        let t = &c.target;
        let subjects = &BatchSubject::subjects(batch)[..];
        let n = subjects.len();
        let mut exports = vec![Export::default(); n];
        let matcher = matcher(subjects)?;
        if matcher.is_empty() {
            return Ok(exports);
        }
        let Some(query) = batch_query(t, subjects) else {
            return Ok(exports);
        };
        let mut scan = Scan::new(&c.client, t, &query, Source::All, false);
        while let Some(page) = scan.next().await? {
            for hit in &page {
                let Some(doc) = Doc::parse(hit) else { continue };
                let (strong, weak) = strengths(&hits(t, &matcher, &doc.source), n);
                for i in 0..n {
                    if strong[i] || weak[i] {
                        exports[i].records.push(json!({
                            "place": doc.index,
                            "id": doc.id,
                            "match": if strong[i] { "strong" } else { "weak" },
                            "document": doc.source,
                        }));
                    }
                }
            }
        }
        Ok(exports)
    }

    /// Erasure of one slice, page by page.
    async fn erase_slice(
        &self,
        c: &Compiled,
        batch: &[BatchSubject],
    ) -> Result<Vec<Erasure>, ConnectorError> {
        let t = &c.target;
        let subjects = BatchSubject::subjects(batch);
        let include_weak: Vec<bool> = batch.iter().map(|b| b.include_weak).collect();
        let mut affected = vec![0u64; batch.len()];
        let matcher = matcher(&subjects)?;
        if matcher.is_empty() || t.strategy.is_retain() {
            return Ok(affected
                .into_iter()
                .map(|affected| Erasure { affected })
                .collect());
        }
        let rewriter = Rewriter {
            target: t,
            matcher: &matcher,
            subjects: &subjects,
            hasher: self.inner.hasher.as_ref(),
        };
        let fields = t.top_fields();
        let Some(query) = batch_query(t, &subjects) else {
            return Ok(affected
                .into_iter()
                .map(|affected| Erasure { affected })
                .collect());
        };
        // Searches read the last refresh: make earlier writes (a previous,
        // interrupted attempt) visible so they are not fought over.
        self.refresh(c).await?;
        let mut scan = Scan::new(&c.client, t, &query, Source::Fields(&fields), true);
        while let Some(page) = scan.next().await? {
            let docs: Vec<Doc> = page.iter().filter_map(Doc::parse).collect();
            self.write(c, &rewriter, &include_weak, docs, &fields, &mut affected)
                .await?;
        }
        Ok(affected
            .into_iter()
            .map(|affected| Erasure { affected })
            .collect())
    }

    /// Applies the strategy to `docs` with one guarded `_bulk`, then
    /// re-reads and retries the documents that changed in between.
    async fn write(
        &self,
        c: &Compiled,
        rewriter: &Rewriter<'_>,
        include_weak: &[bool],
        mut docs: Vec<Doc>,
        fields: &[String],
        affected: &mut [u64],
    ) -> Result<(), ConnectorError> {
        let t = &c.target;
        let delete = t.strategy == Strategy::Delete;
        for round in 0..CONFLICT_ROUNDS {
            let mut body = String::new();
            let mut sent: Vec<(Doc, Vec<usize>)> = Vec::new();
            for doc in docs {
                let (strong, weak) =
                    strengths(&hits(t, rewriter.matcher, &doc.source), affected.len());
                let who: Vec<usize> = (0..affected.len())
                    .filter(|&i| strong[i] || (weak[i] && include_weak[i]))
                    .collect();
                if who.is_empty() {
                    continue;
                }
                if delete {
                    body.push_str(&doc.action("delete").to_string());
                    body.push('\n');
                } else {
                    let changed = rewriter.rewrite(&doc.source, &who);
                    if changed.is_empty() {
                        continue;
                    }
                    body.push_str(&doc.action("update").to_string());
                    body.push('\n');
                    body.push_str(&json!({ "doc": changed }).to_string());
                    body.push('\n');
                }
                sent.push((doc, who));
            }
            if sent.is_empty() {
                return Ok(());
            }
            let hook = self.inner.hook.lock().expect("hook lock").clone();
            if let Some(hook) = hook {
                hook(round).await;
            }
            let answer = c
                .client
                .send(Method::POST, "_bulk", Body::Ndjson(body), &[])
                .await?;
            let items = answer["items"].as_array().cloned().unwrap_or_default();
            if items.len() != sent.len() {
                return Err(ConnectorError::transient(format!(
                    "elasticsearch {}: _bulk answered {} items for {}",
                    t.index,
                    items.len(),
                    sent.len()
                )));
            }
            let mut stale = Vec::new();
            for ((doc, who), item) in sent.into_iter().zip(&items) {
                let result = item.as_object().and_then(|o| o.values().next()).cloned();
                let status = result
                    .as_ref()
                    .and_then(|r| r["status"].as_u64())
                    .unwrap_or(0);
                match status {
                    200..=299 => who.iter().for_each(|&s| affected[s] += 1),
                    // Gone already: deleted by someone, or by an attempt
                    // that crashed before it could report.
                    404 => {}
                    409 => stale.push(doc),
                    _ => {
                        let kind = result
                            .as_ref()
                            .and_then(|r| r["error"]["type"].as_str().map(str::to_owned))
                            .unwrap_or_else(|| "unknown".to_owned());
                        let message = format!(
                            "elasticsearch {}: _bulk item refused (HTTP {status}, {kind})",
                            doc.index
                        );
                        return Err(if status == 429 || status >= 500 {
                            ConnectorError::transient(message)
                        } else {
                            ConnectorError::permanent(message)
                        });
                    }
                }
            }
            if stale.is_empty() {
                return Ok(());
            }
            self.inner
                .conflicts
                .fetch_add(stale.len() as u64, Ordering::Relaxed);
            tracing::debug!(
                target = %t.name,
                round,
                documents = stale.len(),
                "documents changed since they were read; reading them again"
            );
            docs = self.reread(c, &stale, fields).await?;
        }
        Err(ConnectorError::transient(format!(
            "elasticsearch {}: documents kept changing during erasure ({CONFLICT_ROUNDS} rounds); will retry",
            t.index
        )))
    }

    /// The current version of each document, by `_mget` (real-time, no
    /// refresh needed); documents deleted meanwhile are left out.
    async fn reread(
        &self,
        c: &Compiled,
        docs: &[Doc],
        fields: &[String],
    ) -> Result<Vec<Doc>, ConnectorError> {
        let wanted: Vec<Value> = docs
            .iter()
            .map(|d| json!({ "_index": d.index, "_id": d.id, "_source": fields }))
            .collect();
        let answer = c.client.post("_mget", &json!({ "docs": wanted })).await?;
        Ok(answer["docs"]
            .as_array()
            .map(|a| a.as_slice())
            .unwrap_or_default()
            .iter()
            .filter(|d| d["found"].as_bool() == Some(true))
            .filter_map(Doc::parse)
            .collect())
    }
}

fn matcher(subjects: &[Subject]) -> Result<Matcher, ConnectorError> {
    Matcher::for_subjects(subjects)
        .map_err(|e| ConnectorError::permanent(format!("cannot compile identifiers: {e}")))
}

/// Runs `f` on each slice of `batch` (see [`slices`]) in turn and joins
/// the results, in batch order.
async fn by_slice<R, Fut>(
    target: &EsTarget,
    batch: &[BatchSubject],
    f: impl Fn(Range<usize>) -> Fut,
) -> Result<Vec<R>, ConnectorError>
where
    Fut: Future<Output = Result<Vec<R>, ConnectorError>>,
{
    let mut out = Vec::with_capacity(batch.len());
    for range in slices(target, &BatchSubject::subjects(batch)) {
        out.extend(f(range).await?);
    }
    Ok(out)
}

#[async_trait]
impl Connector for ElasticsearchConnector {
    fn kind(&self) -> &'static str {
        "elasticsearch"
    }

    fn targets(&self) -> Vec<TargetInfo> {
        self.inner.targets.iter().map(|c| c.target.info()).collect()
    }

    async fn discover(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError> {
        let c = self.compiled(target)?;
        by_slice(&c.target, batch, |r| self.discover_slice(c, &batch[r])).await
    }

    async fn export(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Export>, ConnectorError> {
        let c = self.compiled(target)?;
        by_slice(&c.target, batch, |r| self.export_slice(c, &batch[r])).await
    }

    async fn erase(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Erasure>, ConnectorError> {
        let c = self.compiled(target)?;
        by_slice(&c.target, batch, |r| self.erase_slice(c, &batch[r])).await
    }

    /// Refreshes the indices first: a search sees only refreshed writes,
    /// and verification must see the erasure.
    async fn verify(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError> {
        let c = self.compiled(target)?;
        self.refresh(c).await?;
        self.discover(target, batch).await
    }
}
