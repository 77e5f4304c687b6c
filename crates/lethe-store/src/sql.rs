//! The store's SQL, written once for both backends.
//!
//! Placeholders are `$1..$n`: PostgreSQL's native form, and a numbered
//! parameter SQLite accepts too (sqlx binds `$NNN` by its number), so the same
//! text runs on both. Only types differ, and sqlx's encodings agree with the
//! migrations (uuid as blob / uuid, timestamps as text / timestamptz).

/// Columns of `RequestRow`, in order.
macro_rules! request_columns {
    () => {
        "id, kind, status, external_id, received_at, due_at, original_due_at, note, created_by, \
         updated_at, status_reason, extension_reason, decided_by, decided_at"
    };
}

pub(crate) const PING: &str = "select 1";

pub(crate) const SELECT_REQUEST: &str =
    concat!("select ", request_columns!(), " from request where id = $1");

/// Filters are ANDed; an absent filter is a null parameter. `id < $5` is the
/// cursor: UUIDv7 ids sort by creation time on both backends.
pub(crate) const LIST_REQUESTS: &str = concat!(
    "select ",
    request_columns!(),
    " from request
      where ($1 is null or status = $1)
        and ($2 is null or kind = $2)
        and ($3 is null or due_at < $3)
        and ($4 is null or external_id = $4)
        and ($5 is null or id < $5)
      order by id desc
      limit $6"
);

pub(crate) const INSERT_REQUEST: &str = "insert into request
    (id, kind, status, external_id, received_at, due_at, original_due_at, note, created_by, updated_at)
    values ($1, $2, 'received', $3, $4, $5, $5, $6, $7, $8)";

pub(crate) const INSERT_IDENTIFIER: &str = "insert into subject_identifier
    (id, request_id, ordinal, kind, value, hash, hint) values ($1, $2, $3, $4, $5, $6, $7)";

/// Only this statement changes a request's status: fenced on the status the
/// state machine was applied to, so a concurrent change is never overwritten.
pub(crate) const UPDATE_STATUS: &str = "update request
    set status = $2, updated_at = $3,
        status_reason = coalesce($4, status_reason),
        decided_by = coalesce($5, decided_by),
        decided_at = coalesce($6, decided_at)
    where id = $1 and status = $7";

/// Fenced on the due date and status the bounds were checked against.
pub(crate) const UPDATE_DUE: &str = "update request
    set due_at = $2, extension_reason = $3, updated_at = $4
    where id = $1 and due_at = $5 and status = $6";

/// Keys live 24 hours; deleted opportunistically by whoever creates next.
pub(crate) const DELETE_EXPIRED_KEYS: &str = "delete from idempotency_key where created_at < $1";

/// Claims a key; no row back means someone else holds it.
pub(crate) const CLAIM_KEY: &str =
    "insert into idempotency_key (actor, key, fingerprint, created_at)
    values ($1, $2, $3, $4) on conflict do nothing returning actor";

pub(crate) const READ_KEY: &str =
    "select fingerprint, request_id, response from idempotency_key where actor = $1 and key = $2";

pub(crate) const STORE_RESPONSE: &str =
    "update idempotency_key set request_id = $3, response = $4 where actor = $1 and key = $2";

pub(crate) const AUDIT_HEAD: &str = "select seq, hash from audit_head where id = 1";

pub(crate) const INSERT_AUDIT: &str = "insert into audit_event
    (seq, at, actor, request_id, kind, data, prev_hash, hash) values ($1, $2, $3, $4, $5, $6, $7, $8)";

pub(crate) const UPSERT_HEAD: &str = "insert into audit_head (id, seq, hash) values (1, $1, $2)
    on conflict (id) do update set seq = excluded.seq, hash = excluded.hash";

/// Columns of `AuditRow`, in order.
macro_rules! audit_columns {
    () => {
        "seq, at, actor, request_id, kind, data, prev_hash, hash"
    };
}

/// One page of the chain for verification.
pub(crate) const AUDIT_PAGE: &str = concat!(
    "select ",
    audit_columns!(),
    " from audit_event where seq > $1 order by seq limit $2"
);

pub(crate) const LIST_AUDIT: &str = concat!(
    "select ",
    audit_columns!(),
    " from audit_event where seq > $1 and ($2 is null or request_id = $2) order by seq limit $3"
);

/// `$1, $2, ..., $n` for an `in (...)` list.
fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Identifiers of a page of requests, in submission order.
pub(crate) fn identifiers_of(n: usize) -> String {
    format!(
        "select request_id, kind, hash, hint, destroyed_at from subject_identifier
         where request_id in ({}) order by request_id, ordinal",
        placeholders(n)
    )
}

/// Step counts per status of a page of requests.
pub(crate) fn step_counts_of(n: usize) -> String {
    format!(
        "select request_id, status, count(*) as n from step
         where request_id in ({}) group by request_id, status",
        placeholders(n)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(super::placeholders(3), "$1, $2, $3");
    }
}
