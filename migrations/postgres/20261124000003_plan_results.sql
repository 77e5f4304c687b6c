-- what discovery and export leave behind for the plan, the report and the
-- access package. see the sqlite twin for the reasons.
alter table step add column detail text;

alter table request add column include_weak boolean not null default false;

alter table subject_identifier add column origin text not null default 'given'
    check (origin in ('given', 'proposed', 'accepted'));
alter table subject_identifier add column source text;

create table step_output (
    step_id    uuid primary key not null references step (id),
    request_id uuid not null references request (id),
    payload    text not null,
    created_at timestamptz not null
);

create index step_output_request_idx on step_output (request_id);
