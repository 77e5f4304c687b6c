//! [`ElasticsearchConnector`]: discovery over the REST API.

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use lethe_domain::{IdentifierKind, Subject, TargetInfo};
use serde_json::{json, Value};

use super::target::EsTarget;
use crate::connector::{BatchSubject, Connector, ConnectorError, Erasure, Export, Finding, Place};
use crate::files::Matcher;

/// Per-request timeout: a hung node must turn into a retryable error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The `elasticsearch` connector: one cluster (base URL), many targets.
pub struct ElasticsearchConnector {
    base: String,
    http: reqwest::Client,
    targets: Vec<EsTarget>,
}

impl std::fmt::Debug for ElasticsearchConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ElasticsearchConnector")
            .field("targets", &self.targets.len())
            .finish_non_exhaustive()
    }
}

impl ElasticsearchConnector {
    /// A connector for the cluster at `base_url` (`http://host:9200`).
    /// Authentication and custom CAs are not wired yet.
    pub fn new(base_url: &str, targets: Vec<EsTarget>) -> Result<Self, String> {
        let mut seen = std::collections::HashSet::new();
        for t in &targets {
            if !seen.insert(t.name.as_str()) {
                return Err(format!(
                    "elasticsearch target `{}` is declared twice",
                    t.name
                ));
            }
            if t.id_field.is_empty() || t.id_field == "_id" {
                return Err(format!(
                    "elasticsearch target `{}`: id_field must be a keyword field of the mapping, not `_id`",
                    t.name
                ));
            }
            if t.page_size == 0 {
                return Err(format!(
                    "elasticsearch target `{}`: page_size must be > 0",
                    t.name
                ));
            }
        }
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            base: base_url.trim_end_matches('/').to_owned(),
            http,
            targets,
        })
    }

    fn target(&self, name: &str) -> Result<&EsTarget, ConnectorError> {
        self.targets.iter().find(|t| t.name == name).ok_or_else(|| {
            ConnectorError::permanent(format!("unknown elasticsearch target `{name}`"))
        })
    }

    /// POSTs `body` to `path` and returns the JSON answer, errors classified.
    async fn post(&self, path: &str, body: &Value) -> Result<Value, ConnectorError> {
        let url = format!("{}/{}", self.base, path);
        let resp = self
            .http
            .post(&url)
            .json(body)
            .send()
            .await
            .map_err(|e| transport_error(path, &e))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| transport_error(path, &e))?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|_| {
                ConnectorError::transient(format!("elasticsearch {path}: answer is not JSON"))
            });
        }
        // The `reason` may quote the query (personal data): name the type only.
        let kind = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"]["type"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".to_owned());
        let message = format!("elasticsearch {path}: HTTP {} ({kind})", status.as_u16());
        if status.as_u16() == 429 || status.is_server_error() {
            Err(ConnectorError::transient(message))
        } else {
            Err(ConnectorError::permanent(message))
        }
    }

    /// Every document of `target` the batch's query returns, paged with
    /// `search_after` on the id field, passed to `f` as `(index, source)`.
    async fn scan(
        &self,
        target: &EsTarget,
        query: Value,
        mut f: impl FnMut(&str, &Value),
    ) -> Result<(), ConnectorError> {
        let path = format!(
            "{}/_search?ignore_unavailable=true&allow_no_indices=true",
            target.index
        );
        let source: Vec<&str> = target.read_fields().collect();
        let mut after: Option<Value> = None;
        loop {
            let mut body = json!({
                "size": target.page_size,
                "query": query,
                "_source": source,
                "sort": [{ target.id_field.as_str(): "asc" }],
            });
            if let Some(a) = &after {
                body["search_after"] = a.clone();
            }
            let answer = self.post(&path, &body).await?;
            let hits = answer["hits"]["hits"].as_array().ok_or_else(|| {
                ConnectorError::transient(format!(
                    "elasticsearch {}: answer without hits",
                    target.index
                ))
            })?;
            for hit in hits {
                f(hit["_index"].as_str().unwrap_or(""), &hit["_source"]);
            }
            if hits.len() < target.page_size {
                return Ok(());
            }
            let last = hits
                .last()
                .map(|h| h["sort"].clone())
                .unwrap_or(Value::Null);
            if !last.is_array() {
                return Err(ConnectorError::permanent(format!(
                    "elasticsearch {}: hits carry no sort values; is `{}` a keyword field?",
                    target.index, target.id_field
                )));
            }
            after = Some(last);
        }
    }
}

fn transport_error(path: &str, e: &reqwest::Error) -> ConnectorError {
    // reqwest's Display names the URL, never the body.
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else {
        "request failed"
    };
    ConnectorError::transient(format!("elasticsearch {path}: {what}"))
}

/// The values searched for in a keyword field of `kind`: every variant, and
/// its lower case for emails and names (keywords compare exactly).
fn keyword_values(subject: &Subject, kinds: &[IdentifierKind], out: &mut Vec<String>) {
    for id in subject.identifiers() {
        if !kinds.contains(&id.kind) {
            continue;
        }
        for v in &id.variants {
            out.push(v.value().to_owned());
            if matches!(id.kind, IdentifierKind::Email | IdentifierKind::Name) {
                out.push(v.value().to_lowercase());
            }
        }
    }
}

/// The batch's query: `terms` per keyword field, `match_phrase` per
/// free-text field and variant.
pub(crate) fn batch_query(target: &EsTarget, subjects: &[Subject]) -> Value {
    let mut should = Vec::new();
    for (field, kinds) in &target.fields {
        let mut values = Vec::new();
        for s in subjects {
            keyword_values(s, kinds, &mut values);
        }
        values.sort();
        values.dedup();
        if !values.is_empty() {
            should.push(json!({ "terms": { field.as_str(): values } }));
        }
    }
    let mut phrases: Vec<String> = subjects
        .iter()
        .flat_map(|s| s.identifiers())
        .flat_map(|id| {
            id.variants
                .iter()
                .map(|v| v.value().to_owned())
                .collect::<Vec<_>>()
        })
        .filter(|v| !v.trim().is_empty())
        .collect();
    phrases.sort();
    phrases.dedup();
    for field in &target.free_text {
        for p in &phrases {
            should.push(json!({ "match_phrase": { field.as_str(): p } }));
        }
    }
    json!({ "bool": { "should": should, "minimum_should_match": 1 } })
}

/// Pushes every scalar under dotted `path` of `v` (through arrays and
/// objects) as a string.
fn collect(v: &Value, path: &[&str], out: &mut Vec<String>) {
    match v {
        Value::Array(items) => items.iter().for_each(|i| collect(i, path, out)),
        Value::Object(map) => match path.split_first() {
            Some((head, rest)) => {
                if let Some(child) = map.get(*head) {
                    collect(child, rest, out);
                }
            }
            None => map.values().for_each(|c| collect(c, path, out)),
        },
        _ if !path.is_empty() => {}
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        _ => {}
    }
}

/// Which subjects a document belongs to: `(strong, weak)` per subject index.
fn attribute(
    target: &EsTarget,
    matcher: &Matcher,
    source: &Value,
    n: usize,
) -> (Vec<bool>, Vec<bool>) {
    let mut strong = vec![false; n];
    let mut weak = vec![false; n];
    let mut values = Vec::new();
    for field in target.read_fields() {
        let path: Vec<&str> = field.split('.').collect();
        collect(source, &path, &mut values);
    }
    for value in &values {
        for hit in matcher.find(value.as_bytes()) {
            if hit.kind == IdentifierKind::Name {
                weak[hit.subject] = true;
            } else {
                strong[hit.subject] = true;
            }
        }
    }
    (strong, weak)
}

#[async_trait]
impl Connector for ElasticsearchConnector {
    fn kind(&self) -> &'static str {
        "elasticsearch"
    }

    fn targets(&self) -> Vec<TargetInfo> {
        self.targets.iter().map(EsTarget::info).collect()
    }

    async fn discover(
        &self,
        target: &str,
        batch: &[BatchSubject],
    ) -> Result<Vec<Finding>, ConnectorError> {
        let target = self.target(target)?;
        let subjects: Vec<Subject> = batch.iter().map(|b| b.subject.clone()).collect();
        let matcher = Matcher::for_subjects(&subjects)
            .map_err(|e| ConnectorError::permanent(format!("cannot compile identifiers: {e}")))?;
        let mut findings = vec![Finding::default(); batch.len()];
        if matcher.is_empty() {
            return Ok(findings);
        }
        // Per subject: index -> (strong, weak) documents.
        let mut places: Vec<BTreeMap<String, (u64, u64)>> = vec![BTreeMap::new(); batch.len()];
        let query = batch_query(target, &subjects);
        self.scan(target, query, |index, source| {
            let (strong, weak) = attribute(target, &matcher, source, batch.len());
            for i in 0..batch.len() {
                if !strong[i] && !weak[i] {
                    continue;
                }
                let place = places[i].entry(index.to_owned()).or_default();
                if strong[i] {
                    findings[i].matched += 1;
                    place.0 += 1;
                } else {
                    findings[i].weak += 1;
                    place.1 += 1;
                }
            }
        })
        .await?;
        for (finding, places) in findings.iter_mut().zip(places) {
            finding.places = places
                .into_iter()
                .map(|(place, (items, weak))| Place { place, items, weak })
                .collect();
        }
        Ok(findings)
    }

    async fn export(
        &self,
        target: &str,
        _batch: &[BatchSubject],
    ) -> Result<Vec<Export>, ConnectorError> {
        let _ = self.target(target)?;
        Err(ConnectorError::permanent(
            "elasticsearch export is not implemented yet",
        ))
    }

    async fn erase(
        &self,
        target: &str,
        _batch: &[BatchSubject],
    ) -> Result<Vec<Erasure>, ConnectorError> {
        let _ = self.target(target)?;
        Err(ConnectorError::permanent(
            "elasticsearch erasure is not implemented yet",
        ))
    }
}
