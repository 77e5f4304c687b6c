//! The users (admin API) and conversations (chat API) routes of the
//! CloudLink test server, with the list envelope and the small part of
//! OData the connector uses: `$filter=<field> eq '<literal>'` (quotes in
//! the literal doubled), `$top`, `$skip`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State as AxState};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use super::server::{error, Shared, API_VERSION};

/// Page size when `$top` is absent, and the largest accepted.
const DEFAULT_TOP: usize = 100;
const MAX_TOP: usize = 1000;

/// Fields a user update may change; the rest (`userId`, `accountId`,
/// `uniqueUserId`, `createdOn`) are kept.
const MUTABLE: &[&str] = &[
    "name",
    "displayName",
    "firstName",
    "lastName",
    "nickname",
    "email",
    "extension",
    "phone",
    "mobile",
    "role",
];

type Params = Query<HashMap<String, String>>;

/// Decodes `a=b&c=d` with `+` and `%XX` escapes.
pub(crate) fn parse_form(bytes: &[u8]) -> HashMap<String, String> {
    fn decode(s: &str) -> String {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => {
                    match std::str::from_utf8(&b[i + 1..i + 3])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                    {
                        Some(v) => {
                            out.push(v);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(bytes)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// `field eq 'literal'`, the literal unescaped; `None` when malformed.
fn parse_filter(filter: &str) -> Option<(String, String)> {
    let (field, rest) = filter.trim().split_once(' ')?;
    let rest = rest.trim_start().strip_prefix("eq")?.trim();
    let inner = rest.strip_prefix('\'')?.strip_suffix('\'')?;
    // Single quotes inside the literal come doubled.
    if inner.replace("''", "").contains('\'') {
        return None;
    }
    Some((field.to_owned(), inner.replace("''", "'")))
}

/// `$top` and `$skip`, or what is wrong with them.
fn paging(p: &HashMap<String, String>) -> Result<(usize, usize), String> {
    let num = |k: &str, default: usize| match p.get(k) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| format!("{k} is not a number")),
    };
    let top = num("$top", DEFAULT_TOP)?;
    if top == 0 || top > MAX_TOP {
        return Err("$top must be between 1 and 1000".to_owned());
    }
    Ok((top, num("$skip", 0)?))
}

/// The list envelope of one page of `all`; `next` only when more follow.
fn envelope(path: &str, p: &HashMap<String, String>, all: Vec<Value>) -> Response {
    let (top, skip) = match paging(p) {
        Ok(v) => v,
        Err(m) => return error(StatusCode::BAD_REQUEST, &m),
    };
    let total = all.len();
    let items: Vec<Value> = all.into_iter().skip(skip).take(top).collect();
    let link = |skip: usize| {
        let mut q = format!("$top={top}&$skip={skip}");
        if let Some(f) = p.get("$filter") {
            q.push_str(&format!("&$filter={f}"));
        }
        json!({ "href": format!("{path}?{q}") })
    };
    let mut links = Map::new();
    links.insert("self".into(), link(skip));
    if skip + items.len() < total {
        links.insert("next".into(), link(skip + top));
    }
    Json(json!({
        "count": items.len(),
        "_links": links,
        "_embedded": { "items": items },
    }))
    .into_response()
}

fn wrong_account(shared: &Shared, account_id: &str) -> Option<Response> {
    (account_id != shared.config.account_id)
        .then(|| error(StatusCode::NOT_FOUND, "no such account"))
}

pub(crate) async fn list_users(
    AxState(shared): AxState<Arc<Shared>>,
    Path(account_id): Path<String>,
    Query(p): Params,
) -> Response {
    if let Some(r) = wrong_account(&shared, &account_id) {
        return r;
    }
    let filter = match p.get("$filter").map(|f| parse_filter(f)) {
        None => None,
        Some(Some((field, value))) if field == "email" || field == "userId" => Some((field, value)),
        Some(_) => return error(StatusCode::BAD_REQUEST, "unsupported $filter"),
    };
    let all: Vec<Value> = shared
        .lock()
        .users
        .iter()
        .filter(|u| match &filter {
            None => true,
            Some((field, value)) => {
                let have = u.get(field).and_then(Value::as_str).unwrap_or("");
                if field == "email" {
                    have.eq_ignore_ascii_case(value)
                } else {
                    have == value
                }
            }
        })
        .cloned()
        .map(Value::Object)
        .collect();
    envelope(
        &format!("/{API_VERSION}/accounts/{account_id}/users"),
        &p,
        all,
    )
}

pub(crate) async fn get_user(
    AxState(shared): AxState<Arc<Shared>>,
    Path((account_id, user_id)): Path<(String, String)>,
) -> Response {
    if let Some(r) = wrong_account(&shared, &account_id) {
        return r;
    }
    let s = shared.lock();
    match s.user_index(&user_id) {
        Some(i) => Json(Value::Object(s.users[i].clone())).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such user"),
    }
}

/// Applies an update body: `replace` (PUT) sets every mutable field,
/// absent ones to null; otherwise (PATCH) only the given ones.
fn update(
    shared: &Shared,
    account_id: &str,
    user_id: &str,
    body: &Bytes,
    replace: bool,
) -> Response {
    if let Some(r) = wrong_account(shared, account_id) {
        return r;
    }
    let Ok(Value::Object(given)) = serde_json::from_slice::<Value>(body) else {
        return error(StatusCode::BAD_REQUEST, "the body is not a JSON object");
    };
    if given
        .get("userId")
        .is_some_and(|v| v.as_str() != Some(user_id))
    {
        return error(StatusCode::BAD_REQUEST, "userId cannot change");
    }
    let mut s = shared.lock();
    let Some(i) = s.user_index(user_id) else {
        return error(StatusCode::NOT_FOUND, "no such user");
    };
    let user = &mut s.users[i];
    for field in MUTABLE {
        match given.get(*field) {
            Some(v) => {
                user.insert((*field).to_owned(), v.clone());
            }
            None if replace => {
                user.insert((*field).to_owned(), Value::Null);
            }
            None => {}
        }
    }
    user.insert(
        "modifiedOn".to_owned(),
        Value::String(
            chrono::Utc::now()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
        ),
    );
    Json(Value::Object(user.clone())).into_response()
}

pub(crate) async fn put_user(
    AxState(shared): AxState<Arc<Shared>>,
    Path((account_id, user_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    update(&shared, &account_id, &user_id, &body, true)
}

pub(crate) async fn patch_user(
    AxState(shared): AxState<Arc<Shared>>,
    Path((account_id, user_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    update(&shared, &account_id, &user_id, &body, false)
}

pub(crate) async fn delete_user(
    AxState(shared): AxState<Arc<Shared>>,
    Path((account_id, user_id)): Path<(String, String)>,
) -> Response {
    if let Some(r) = wrong_account(&shared, &account_id) {
        return r;
    }
    let mut s = shared.lock();
    match s.user_index(&user_id) {
        Some(i) => {
            s.users.remove(i);
            StatusCode::NO_CONTENT.into_response()
        }
        None => error(StatusCode::NOT_FOUND, "no such user"),
    }
}

pub(crate) async fn list_conversations(
    AxState(shared): AxState<Arc<Shared>>,
    Query(p): Params,
) -> Response {
    let participant = match p.get("$filter").map(|f| parse_filter(f)) {
        None => None,
        Some(Some((field, value))) if field == "participantId" => Some(value),
        Some(_) => return error(StatusCode::BAD_REQUEST, "unsupported $filter"),
    };
    let all: Vec<Value> = shared
        .lock()
        .conversations
        .iter()
        .filter(|c| {
            participant
                .as_ref()
                .is_none_or(|p| c.participants.contains(p))
        })
        .map(|c| c.to_json())
        .collect();
    envelope(&format!("/{API_VERSION}/conversations"), &p, all)
}

pub(crate) async fn get_conversation(
    AxState(shared): AxState<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let s = shared.lock();
    match s.conversations.iter().find(|c| c.conversation_id == id) {
        Some(c) => Json(c.to_json()).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such conversation"),
    }
}

/// Answers 200 with a JSON body, as the vendor's samples expect.
pub(crate) async fn delete_conversation(
    AxState(shared): AxState<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let mut s = shared.lock();
    match s.conversations.iter().position(|c| c.conversation_id == id) {
        Some(i) => {
            s.conversations.remove(i);
            Json(json!({"conversationId": id, "deleted": true})).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "no such conversation"),
    }
}

pub(crate) async fn list_messages(
    AxState(shared): AxState<Arc<Shared>>,
    Path(id): Path<String>,
    Query(p): Params,
) -> Response {
    let all = {
        let s = shared.lock();
        match s.conversations.iter().find(|c| c.conversation_id == id) {
            Some(c) => c.messages.iter().map(|m| m.to_json(&id)).collect(),
            None => return error(StatusCode::NOT_FOUND, "no such conversation"),
        }
    };
    envelope(
        &format!("/{API_VERSION}/conversations/{id}/messages"),
        &p,
        all,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_forms_decode() {
        assert_eq!(
            parse_filter("email eq 'o''brien@example.com'"),
            Some(("email".into(), "o'brien@example.com".into()))
        );
        assert_eq!(parse_filter("email eq 'a'b'"), None);
        assert_eq!(parse_filter("email ne 'a'"), None);
        let f = parse_form(b"grant_type=password&username=a%40example.com&password=x+y");
        assert_eq!(f["username"], "a@example.com");
        assert_eq!(f["password"], "x y");
    }
}
