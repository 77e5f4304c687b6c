-- signed status callbacks to the system that raised a request, through a
-- durable outbox: a row is written in the same transaction as the status
-- change it announces, so no change goes unannounced and no announcement
-- is made of a change that rolled back.

-- where the request's status changes are posted (a source's callback_url,
-- or one given with the request); null: no callbacks.
alter table request add column callback_url text;

-- one event per status change. id is the event id (uuidv7) the receiver
-- sees as `webhook-id` on every try, so it can drop duplicates; seq orders
-- the events of one request, which are delivered strictly in that order.
create table callback_outbox (
    id              blob primary key not null,
    request_id      blob not null references request (id),
    seq             integer not null check (seq >= 1),
    source          text,
    url             text not null,
    payload         text not null,
    state           text not null check (state in ('pending', 'delivered', 'given_up')),
    attempts        integer not null default 0 check (attempts >= 0),
    next_attempt_at text not null,
    claimed_by      text,
    claim_expires_at text,
    created_at      text not null,
    finished_at     text,
    last_error      text,
    unique (request_id, seq),
    check ((state = 'pending') = (finished_at is null)),
    check ((claimed_by is null) = (claim_expires_at is null))
) strict;

create index callback_outbox_due_idx on callback_outbox (state, next_attempt_at);

-- every try at delivering an event: the status code or an error class,
-- never a body (the receiver's answer may quote anything).
create table callback_attempt (
    id          blob primary key not null,
    event_id    blob not null references callback_outbox (id),
    attempt     integer not null check (attempt >= 1),
    worker      text not null,
    at          text not null,
    status_code integer,
    error       text,
    duration_ms integer not null,
    unique (event_id, attempt)
) strict;
