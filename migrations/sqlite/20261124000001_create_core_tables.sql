-- lethe's core tables on sqlite (single-process mode).
--
-- types: sqlx encodes a uuid as a 16-byte blob and a chrono timestamp as
-- rfc 3339 text in utc, so both compare correctly with plain `<` / `order by`
-- (blob memcmp of a uuidv7 sorts by creation time). tables are strict so a
-- value of the wrong type is refused instead of silently stored.

-- one data-subject request. the status values mirror
-- lethe_domain::RequestStatus; the check catches a writer that bypasses the
-- state machine with a typo.
create table request (
    id               blob primary key not null,
    kind             text not null check (kind in ('access', 'erasure')),
    status           text not null check (status in (
                         'received', 'planning', 'awaiting_approval', 'executing', 'completed',
                         'completed_with_exceptions', 'failed', 'cancelled', 'rejected')),
    external_id      text,
    received_at      text not null,
    due_at           text not null,
    -- the due date before any extension: art. 12(3) bounds extensions from it.
    original_due_at  text not null,
    note             text,
    -- jwt subject of the creator; four-eyes compares the approver against it.
    created_by       text not null,
    updated_at       text not null,
    status_reason    text,
    extension_reason text,
    decided_by       text,
    decided_at       text,
    -- an extension only ever moves the deadline later.
    check (due_at >= original_due_at),
    check ((decided_by is null) = (decided_at is null))
) strict;

-- the list page filters by these and pages by id.
create index request_status_idx on request (status);
create index request_external_id_idx on request (external_id);
create index request_due_at_idx on request (due_at);

-- the subject's identifiers. the clear value exists only so discovery can
-- search for it; retention destroys it and keeps the keyed hash and the hint,
-- so the check ties a missing value to the moment it was destroyed.
create table subject_identifier (
    id           blob primary key not null,
    request_id   blob not null references request (id),
    -- position in the request as submitted, so identifiers read back in order.
    ordinal      integer not null,
    kind         text not null check (kind in (
                     'email', 'phone', 'name', 'account_number', 'cloudlink_user_id',
                     'directory_account')),
    value        text,
    hash         text not null,
    hint         text not null,
    destroyed_at text,
    check ((value is null) = (destroyed_at is not null)),
    unique (request_id, ordinal)
) strict;

-- "which requests named this person" is answered by hash, never by value.
create index subject_identifier_hash_idx on subject_identifier (hash);

-- one unit of work of a plan: a connector acting on one target. the worker
-- claims rows by (status, run_at) and fences completion on lease_owner and
-- attempt; step rows are evidence and are never deleted.
create table step (
    id               blob primary key not null,
    request_id       blob not null references request (id),
    -- stable name within the plan, so re-planning cannot duplicate a step.
    step_key         text not null,
    connector        text not null,
    target           text not null,
    action           text not null check (action in ('discover', 'export', 'erase', 'verify', 'manual')),
    status           text not null check (status in (
                         'pending', 'running', 'retrying', 'succeeded', 'failed', 'skipped',
                         'awaiting_manual')),
    attempt          integer not null default 0 check (attempt >= 0),
    max_attempts     integer not null check (max_attempts >= 1),
    run_at           text not null,
    lease_owner      text,
    lease_expires_at text,
    items_matched    integer,
    items_affected   integer,
    items_remaining  integer,
    error            text,
    created_at       text not null,
    started_at       text,
    finished_at      text,
    unique (request_id, step_key),
    -- a running step always has a live lease and only a running step has one,
    -- so a crashed worker's step is found by its expired lease.
    check ((status = 'running') = (lease_owner is not null)),
    check ((lease_owner is null) = (lease_expires_at is null))
) strict;

-- the claim query: due steps in run_at order.
create index step_claim_idx on step (status, run_at);

-- every attempt at a step, appended when the attempt starts and closed with
-- its outcome; the history of what lethe did to a system is never rewritten.
create table step_attempt (
    id          blob primary key not null,
    step_id     blob not null references step (id),
    attempt     integer not null check (attempt >= 1),
    worker      text not null,
    started_at  text not null,
    finished_at text,
    outcome     text,
    error       text,
    check ((finished_at is null) = (outcome is null)),
    unique (step_id, attempt)
) strict;

-- idempotency-key claims, scoped per caller. request_id and response are set
-- together in the transaction that created the request, so a committed row
-- always carries the response a replay returns.
create table idempotency_key (
    actor       text not null,
    key         text not null,
    -- sha-256 of the canonical body: same key with another body is refused.
    fingerprint text not null,
    request_id  blob references request (id),
    response    text,
    created_at  text not null,
    primary key (actor, key),
    check ((request_id is null) = (response is null))
) strict;

-- expired keys (24 h) are deleted by age.
create index idempotency_key_created_at_idx on idempotency_key (created_at);

-- the hash-chained audit log. data is the exact json text that was hashed;
-- request_id has no foreign key because the log is evidence that must not
-- depend on, or cascade from, any other row.
create table audit_event (
    seq        integer primary key not null check (seq >= 1),
    at         text not null,
    actor      text not null,
    request_id blob,
    kind       text not null,
    data       text not null,
    prev_hash  text not null,
    hash       text not null unique
) strict;

create index audit_event_request_idx on audit_event (request_id, seq);

-- the last appended event, written in the same transaction as each append:
-- a deleted or forged tail event no longer matches it.
create table audit_head (
    id   integer primary key not null check (id = 1),
    seq  integer not null,
    hash text not null
) strict;
