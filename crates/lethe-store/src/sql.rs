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
         updated_at, status_reason, extension_reason, decided_by, decided_at, include_weak, source, \
         callback_url"
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
        and ($7 = 0 or exists (select 1 from step
              where step.request_id = request.id and step.status = 'awaiting_manual'))
      order by id desc
      limit $6"
);

pub(crate) const INSERT_REQUEST: &str = "insert into request
    (id, kind, status, external_id, received_at, due_at, original_due_at, note, created_by, updated_at,
     source, callback_url)
    values ($1, $2, 'received', $3, $4, $5, $5, $6, $7, $8, $9, $10)";

pub(crate) const INSERT_IDENTIFIER: &str = "insert into subject_identifier
    (id, request_id, ordinal, kind, value, hash, hint) values ($1, $2, $3, $4, $5, $6, $7)";

/// Only this statement changes a request's status: fenced on the status the
/// state machine was applied to, so a concurrent change is never overwritten.
pub(crate) const UPDATE_STATUS: &str = "update request
    set status = $2, updated_at = $3,
        status_reason = coalesce($4, status_reason),
        decided_by = coalesce($5, decided_by),
        decided_at = coalesce($6, decided_at),
        include_weak = coalesce($8, include_weak)
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

/// Columns of `StepRow`, in order.
macro_rules! step_columns {
    () => {
        "id, request_id, step_key, connector, target, action, status, attempt, max_attempts, \
         run_at, lease_owner, lease_expires_at, items_matched, items_affected, items_remaining, \
         error, created_at, started_at, finished_at, detail"
    };
}

/// A plan step; an existing `(request_id, step_key)` is left untouched.
pub(crate) const INSERT_STEP: &str = "insert into step
    (id, request_id, step_key, connector, target, action, status, attempt, max_attempts, run_at,
     created_at)
    values ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $8, $9)
    on conflict (request_id, step_key) do nothing";

/// Steps of a request in plan order (UUIDv7 ids sort by insertion).
pub(crate) const STEPS_OF_REQUEST: &str = concat!(
    "select ",
    step_columns!(),
    " from step where request_id = $1 order by id"
);

pub(crate) const REQUEST_EXISTS: &str = "select count(*) from request where id = $1";

pub(crate) const SELECT_STEP: &str =
    concat!("select ", step_columns!(), " from step where id = $1");

/// Attempts of a request's steps, oldest first.
pub(crate) const ATTEMPTS_OF_REQUEST: &str = "select a.step_id, a.attempt, a.worker, a.started_at,
    a.finished_at, a.outcome, a.error
    from step_attempt a join step s on s.id = a.step_id
    where s.request_id = $1 order by a.step_id, a.attempt";

/// Closes the open attempt of every step whose lease expired before `$1`.
/// Runs before `RESCUE_EXPIRED`, which then no longer sees those steps.
pub(crate) const CLOSE_EXPIRED_ATTEMPTS: &str = "update step_attempt
    set finished_at = $1, outcome = 'lease_expired', error = $2
    where finished_at is null and step_id in (
        select id from step where status = 'running' and lease_expires_at < $1)";

/// Steps whose worker stopped heartbeating: retried now, or failed when
/// that was their last attempt.
pub(crate) const RESCUE_EXPIRED: &str = concat!(
    "update step
    set status = case when attempt >= max_attempts then 'failed' else 'retrying' end,
        lease_owner = null, lease_expires_at = null, run_at = $1, error = $2,
        finished_at = case when attempt >= max_attempts then $1 else null end
    where status = 'running' and lease_expires_at < $1
    returning ",
    step_columns!()
);

/// The due-step filter shared by both claim statements: `$1` now, `$4` an
/// optional connector, `$5` the limit.
macro_rules! due_steps {
    () => {
        "select id from step
         where status in ('pending', 'retrying') and run_at <= $1
           and ($4 is null or connector = $4)
         order by run_at, id"
    };
}

/// The lease itself, shared by both claim statements: `$2` the worker,
/// `$3` the lease's expiry.
macro_rules! lease_step {
    () => {
        "status = 'running', lease_owner = $2, lease_expires_at = $3, attempt = step.attempt + 1,
         started_at = coalesce(step.started_at, $1)"
    };
}

/// PostgreSQL: `skip locked` lets claimers in other processes pass over rows
/// another claimer is taking instead of waiting for it.
pub(crate) const CLAIM_STEPS_POSTGRES: &str = concat!(
    "with picked (picked_id) as (",
    due_steps!(),
    " for update skip locked limit $5)
    update step set ",
    lease_step!(),
    " from picked where step.id = picked.picked_id returning ",
    step_columns!()
);

/// SQLite has no row locks; its writers are serialised by the store.
pub(crate) const CLAIM_STEPS_SQLITE: &str = concat!(
    "update step set ",
    lease_step!(),
    " where id in (",
    due_steps!(),
    " limit $5) returning ",
    step_columns!()
);

pub(crate) const INSERT_ATTEMPT: &str = "insert into step_attempt
    (id, step_id, attempt, worker, started_at) values ($1, $2, $3, $4, $5)";

/// Fenced: only the lease holder of this very attempt may extend it.
pub(crate) const HEARTBEAT: &str = "update step set lease_expires_at = $4
    where id = $1 and status = 'running' and lease_owner = $2 and attempt = $3";

/// Fenced like `HEARTBEAT`. `$4` status, `$5` run_at (kept when null),
/// `$6..$8` counts, `$9` error or skip reason, `$10` finished_at.
pub(crate) const COMPLETE_STEP: &str = "update step
    set status = $4, lease_owner = null, lease_expires_at = null, run_at = coalesce($5, run_at),
        items_matched = $6, items_affected = $7, items_remaining = $8, error = $9,
        finished_at = $10, detail = coalesce($11, detail)
    where id = $1 and status = 'running' and lease_owner = $2 and attempt = $3";

/// The export of a step, replaced if a re-run (after a crash between the
/// write and the completion) exports again.
pub(crate) const UPSERT_OUTPUT: &str = "insert into step_output (step_id, request_id, payload, created_at)
    values ($1, $2, $3, $4)
    on conflict (step_id) do update set payload = excluded.payload, created_at = excluded.created_at";

/// Exports of a request with the key of the step that made them.
pub(crate) const OUTPUTS_OF_REQUEST: &str = "select s.step_key, o.payload
    from step_output o join step s on s.id = o.step_id
    where o.request_id = $1 order by s.id";

/// Retention: the clear identifiers of requests closed before `$2` go; the
/// hashes and hints stay, so the audit and reports still add up.
pub(crate) const DESTROY_IDENTIFIERS: &str = "update subject_identifier
    set value = null, destroyed_at = $1
    where value is not null and request_id in (
        select id from request
        where status in ('completed', 'completed_with_exceptions', 'cancelled', 'rejected')
          and updated_at < $2)
    returning request_id";

pub(crate) const REQUEST_STATUS_COUNTS: &str =
    "select status, count(*) from request group by status";
pub(crate) const STEP_STATUS_COUNTS: &str = "select status, count(*) from step group by status";

pub(crate) const PURGE_OUTPUTS: &str = "delete from step_output where request_id = $1";

/// Clear values of the identifiers that are searched: given and accepted,
/// not destroyed.
pub(crate) const SEARCHED_VALUES: &str = "select kind, value from subject_identifier
    where request_id = $1 and origin in ('given', 'accepted') and value is not null
    order by ordinal";

pub(crate) const IDENTIFIER_EXISTS: &str =
    "select count(*) from subject_identifier where request_id = $1 and hash = $2";

pub(crate) const NEXT_ORDINAL: &str =
    "select cast(coalesce(max(ordinal), -1) + 1 as bigint) from subject_identifier where request_id = $1";

pub(crate) const INSERT_PROPOSAL: &str = "insert into subject_identifier
    (id, request_id, ordinal, kind, value, hash, hint, origin, source)
    values ($1, $2, $3, $4, $5, $6, $7, 'proposed', $8)";

/// Accepts one proposal; no row changed means it was not a pending proposal.
pub(crate) const ACCEPT_PROPOSAL: &str = "update subject_identifier set origin = 'accepted'
    where request_id = $1 and hash = $2 and origin = 'proposed' and value is not null";

pub(crate) const CLOSE_ATTEMPT: &str = "update step_attempt
    set finished_at = $3, outcome = $4, error = $5
    where step_id = $1 and attempt = $2 and finished_at is null";

pub(crate) const CLOSE_RELEASED_ATTEMPTS: &str = "update step_attempt
    set finished_at = $2, outcome = 'released'
    where finished_at is null and step_id in (
        select id from step where status = 'running' and lease_owner = $1)";

pub(crate) const RELEASE_STEPS: &str = "update step
    set status = 'pending', lease_owner = null, lease_expires_at = null, run_at = $2
    where status = 'running' and lease_owner = $1";

pub(crate) const RETRY_FAILED: &str = concat!(
    "update step
    set status = 'pending', max_attempts = attempt + max_attempts, run_at = $2, error = null,
        finished_at = null
    where request_id = $1 and status = 'failed'
    returning ",
    step_columns!()
);

/// One step of a request by its key (the `/steps/{step}` of the API).
pub(crate) const SELECT_STEP_BY_KEY: &str = concat!(
    "select ",
    step_columns!(),
    " from step where request_id = $1 and step_key = $2"
);

/// A person's decision on a manual step: fenced on `awaiting_manual`, so a
/// second confirm (or a confirm racing a decline) changes nothing. `$2`
/// status, `$3` finished_at, `$4` why it was skipped (null when confirmed),
/// `$5` the decision as JSON detail.
pub(crate) const FINISH_MANUAL: &str = "update step
    set status = $2, finished_at = $3, error = $4, detail = $5
    where id = $1 and action = 'manual' and status = 'awaiting_manual'";

/// `$1, $2, ..., $n` for an `in (...)` list.
fn placeholders(n: usize) -> String {
    placeholders_from(1, n)
}

/// `$first, …` up to `n` placeholders.
fn placeholders_from(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Extends the leases `$2` (the worker) holds on the `n` steps `$3…`, to
/// `$1`; fenced on owner and `running` like `HEARTBEAT`, returning the ids
/// still held.
pub(crate) fn heartbeat_steps(n: usize) -> String {
    format!(
        "update step set lease_expires_at = $1
         where lease_owner = $2 and status = 'running' and id in ({}) returning id",
        placeholders_from(3, n)
    )
}

/// Identifiers of a page of requests, in submission order.
pub(crate) fn identifiers_of(n: usize) -> String {
    format!(
        "select request_id, kind, hash, hint, destroyed_at, origin, source from subject_identifier
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
