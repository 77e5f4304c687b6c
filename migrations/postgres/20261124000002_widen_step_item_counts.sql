-- item counts are a connector's report of rows matched, changed and left
-- behind in one target; a large table can exceed 2^31, so they are 64-bit
-- like sqlite's integer (which needs no counterpart migration).
alter table step
    alter column items_matched type bigint,
    alter column items_affected type bigint,
    alter column items_remaining type bigint;
