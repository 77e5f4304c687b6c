//! Loads a fixture into an Elasticsearch-compatible server: each index
//! created with its family's mapping (an existing one is kept, so loading
//! twice is fine, e.g. after an `osmem-server` restart), documents sent
//! with `_bulk` in chunks, every item's status checked, then `_refresh` so
//! the next search sees them.

use std::fmt::Write as _;

use serde_json::Value;

use super::fixture::{EsDoc, EsFixture};
use super::Family;

/// Documents per `_bulk` request: a few MB, well under the 100 MB limit.
const CHUNK: usize = 5_000;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("elasticsearch request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{what}: HTTP {status}: {body}")]
    Status {
        what: String,
        status: u16,
        body: String,
    },
    #[error("bulk into {index}: document {id}: {kind}: {reason}")]
    Item {
        index: String,
        id: String,
        kind: String,
        reason: String,
    },
}

/// Creates every index of `fixture` and loads its documents; returns how
/// many documents were sent.
pub async fn load(base_url: &str, fixture: &EsFixture) -> Result<usize, LoadError> {
    let client = reqwest::Client::new();
    let base = base_url.trim_end_matches('/');
    let mut n = 0;
    for index in &fixture.indices {
        create_index(&client, base, &index.name, index.family).await?;
        n += bulk(&client, base, &index.name, &index.docs).await?;
    }
    refresh(&client, base, &fixture.index_list()).await?;
    Ok(n)
}

/// Creates `index` (its family's mapping) if needed, loads `docs` and
/// refreshes it: for [`super::bulk_matching`]'s documents.
pub async fn load_docs(base_url: &str, index: &str, docs: &[EsDoc]) -> Result<usize, LoadError> {
    let family = Family::of_index(index).ok_or_else(|| LoadError::Status {
        what: format!("{index}: not a micc index"),
        status: 0,
        body: String::new(),
    })?;
    let client = reqwest::Client::new();
    let base = base_url.trim_end_matches('/');
    create_index(&client, base, index, family).await?;
    let n = bulk(&client, base, index, docs).await?;
    refresh(&client, base, index).await?;
    Ok(n)
}

/// The `_bulk` body indexing `docs` into `index` (`index` actions with
/// `_id`, one JSON object per line, a final newline).
pub fn bulk_ndjson(index: &str, docs: &[EsDoc]) -> String {
    let mut out = String::with_capacity(docs.len() * 600);
    for d in docs {
        let action = serde_json::json!({"index": {"_index": index, "_id": d.id}});
        let _ = writeln!(out, "{action}");
        let _ = writeln!(out, "{}", d.source);
    }
    out
}

async fn create_index(
    client: &reqwest::Client,
    base: &str,
    index: &str,
    family: Family,
) -> Result<(), LoadError> {
    let resp = client
        .put(format!("{base}/{index}"))
        .header("content-type", "application/json")
        .body(family.mapping())
        .send()
        .await?;
    let status = resp.status().as_u16();
    if status == 200 {
        return Ok(());
    }
    let body = resp.text().await?;
    let kind = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["error"]["type"].as_str().map(str::to_owned));
    if kind.as_deref() == Some("resource_already_exists_exception") {
        return Ok(());
    }
    Err(LoadError::Status {
        what: format!("creating index {index}"),
        status,
        body,
    })
}

async fn bulk(
    client: &reqwest::Client,
    base: &str,
    index: &str,
    docs: &[EsDoc],
) -> Result<usize, LoadError> {
    for chunk in docs.chunks(CHUNK) {
        let resp = client
            .post(format!("{base}/_bulk"))
            .header("content-type", "application/x-ndjson")
            .body(bulk_ndjson(index, chunk))
            .send()
            .await?;
        let status = resp.status().as_u16();
        let body = resp.text().await?;
        if status != 200 {
            return Err(LoadError::Status {
                what: format!("bulk into {index}"),
                status,
                body,
            });
        }
        let v: Value = serde_json::from_str(&body).map_err(|e| LoadError::Status {
            what: format!("bulk into {index}: answer is not JSON ({e})"),
            status,
            body: body.chars().take(500).collect(),
        })?;
        let items = v["items"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        if items.len() != chunk.len() {
            return Err(LoadError::Status {
                what: format!(
                    "bulk into {index}: {} items for {} documents",
                    items.len(),
                    chunk.len()
                ),
                status,
                body: body.chars().take(500).collect(),
            });
        }
        // `errors` is only a hint: check every item.
        for item in items {
            let r = &item["index"];
            let code = r["status"].as_u64().unwrap_or(0);
            if !(200..300).contains(&code) {
                return Err(LoadError::Item {
                    index: index.to_owned(),
                    id: r["_id"].as_str().unwrap_or("?").to_owned(),
                    kind: r["error"]["type"].as_str().unwrap_or("unknown").to_owned(),
                    reason: format!("HTTP {code}: {}", r["error"]["reason"]),
                });
            }
        }
    }
    Ok(docs.len())
}

async fn refresh(client: &reqwest::Client, base: &str, indices: &str) -> Result<(), LoadError> {
    let resp = client
        .post(format!("{base}/{indices}/_refresh"))
        .send()
        .await?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(LoadError::Status {
            what: format!("refreshing {indices}"),
            status,
            body: resp.text().await?,
        });
    }
    Ok(())
}
