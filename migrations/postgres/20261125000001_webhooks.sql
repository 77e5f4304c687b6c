-- requests raised by a ticketing system's signed webhook.

-- the configured webhook source (`/v1/webhooks/{source}`) that created the
-- request; null for requests created over the rest api.
alter table request add column source text;

-- every delivery a source made that created a request, keyed by the
-- delivery id (standard webhooks' `webhook-id`, a vendor's delivery header,
-- or a hash of signature and timestamp). written in the transaction that
-- creates the request, so a replay finds the first answer or nothing, never
-- half of one; a replay is answered with status and response as stored.
create table webhook_delivery (
    source      text not null,
    delivery_id text not null,
    request_id  uuid references request (id),
    status      integer,
    response    text,
    created_at  timestamptz not null,
    primary key (source, delivery_id),
    check ((request_id is null) = (response is null))
);
