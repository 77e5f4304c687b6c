//! [`Scan`]: every document a query matches, page by page, with the
//! scroll API. Scroll works the same on Elasticsearch 7/8, OpenSearch and
//! the test server, needs no sortable id field in the mapping (sorting on
//! `_id` is refused by Elasticsearch 8), has no result-window cap, and
//! evaluates the query once: `search_after` re-runs it for every page,
//! which made a 50,000-hit erasure quadratic in the benchmark.

use reqwest::Method;
use serde_json::{json, Value};

use super::client::{Body, Client};
use super::target::EsTarget;
use crate::connector::{ConnectorError, RetryClass};

/// How long the cluster keeps a scroll between two pages. Erasure writes
/// one page before it asks for the next, so this bounds one `_bulk`.
const KEEP_ALIVE: &str = "5m";

/// What `_source` a scan reads.
pub(crate) enum Source<'a> {
    /// Only these fields (attribution, erasure).
    Fields(&'a [String]),
    /// The whole document (export).
    All,
}

/// An open scroll over one target's indices.
pub(crate) struct Scan<'a> {
    client: &'a Client,
    target: &'a EsTarget,
    /// The first request's body, until it is sent.
    first: Option<Value>,
    scroll_id: Option<String>,
    done: bool,
}

impl<'a> Scan<'a> {
    /// A scan of `query` over `target`; `versions` asks for `_seq_no` and
    /// `_primary_term` (erasure's write guards).
    pub(crate) fn new(
        client: &'a Client,
        target: &'a EsTarget,
        query: &Value,
        source: Source<'_>,
        versions: bool,
    ) -> Self {
        let mut body = json!({
            "size": target.page_size,
            "query": query,
            "sort": ["_doc"],
            "seq_no_primary_term": versions,
        });
        body["_source"] = match source {
            Source::Fields(f) => json!(f),
            Source::All => json!(true),
        };
        Self {
            client,
            target,
            first: Some(body),
            scroll_id: None,
            done: false,
        }
    }

    /// The next page of hits, or `None` once every match was returned.
    pub(crate) async fn next(&mut self) -> Result<Option<Vec<Value>>, ConnectorError> {
        if self.done {
            return Ok(None);
        }
        let t = self.target;
        let mut answer = match (self.first.take(), &self.scroll_id) {
            (Some(body), _) => {
                let path = format!(
                    "{}/_search?scroll={KEEP_ALIVE}&ignore_unavailable=true&allow_no_indices=true",
                    t.index
                );
                self.client.post(&path, &body).await.map_err(|mut e| {
                    if e.class == RetryClass::Permanent && e.message.contains("HTTP 400") {
                        e.message.push_str(&format!(
                            ": the search was refused; check the field names declared for `{}`",
                            t.name
                        ));
                    }
                    e
                })?
            }
            (None, Some(id)) => {
                let body = json!({ "scroll": KEEP_ALIVE, "scroll_id": id });
                self.client
                    .post("_search/scroll", &body)
                    .await
                    .map_err(|mut e| {
                        // An expired scroll: the whole call is retried.
                        if e.message.contains("HTTP 404") {
                            e.class = RetryClass::Transient;
                        }
                        e
                    })?
            }
            (None, None) => return Ok(None),
        };
        if let Some(id) = answer["_scroll_id"].as_str() {
            self.scroll_id = Some(id.to_owned());
        }
        let hits = match answer["hits"]["hits"].take() {
            Value::Array(h) => h,
            _ => {
                return Err(ConnectorError::transient(format!(
                    "elasticsearch {}: answer without hits",
                    t.index
                )))
            }
        };
        if hits.is_empty() {
            self.done = true;
            self.close().await;
            return Ok(None);
        }
        Ok(Some(hits))
    }

    /// Frees the scroll on the cluster (best effort: it expires anyway).
    pub(crate) async fn close(&mut self) {
        if let Some(id) = self.scroll_id.take() {
            let body = json!({ "scroll_id": [id] });
            let _ = self
                .client
                .send(Method::DELETE, "_search/scroll", Body::Json(&body), &[404])
                .await;
        }
    }
}
