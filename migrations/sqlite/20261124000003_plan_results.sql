-- what discovery and export leave behind for the plan, the report and the
-- access package.

-- per-step detail without personal data (places and weak counts), shown in
-- the plan and the report.
alter table step add column detail text;

-- an approver may let name-only (weak) matches be erased too.
alter table request add column include_weak integer not null default 0
    check (include_weak in (0, 1));

-- identifiers found by discovery are proposed; an approver accepts them and
-- from then on they are searched like the ones given. source names the
-- target that proposed it (no personal data).
alter table subject_identifier add column origin text not null default 'given'
    check (origin in ('given', 'proposed', 'accepted'));
alter table subject_identifier add column source text;

-- exported records of an access request (personal data), one row per export
-- step, written in the step's fenced completion; deleted when the access
-- package expires.
create table step_output (
    step_id    blob primary key not null references step (id),
    request_id blob not null references request (id),
    payload    text not null,
    created_at text not null
) strict;

create index step_output_request_idx on step_output (request_id);
