-- repeated_keys(source, key): one row per key value that occurs more than once in the table
-- named by source: the row kept for the key (the first in column order, NULLs last, so the
-- choice never depends on file order), bronze_rows (how many rows carry the key) and
-- distinct_rows (how many of them differ: 1 means identical repeats only).
-- key is a column of source, passed as a bare name: repeated_keys('bronze.flights', trip_id).
-- Hashes first: grouping millions of 64-bit hashes costs much less than grouping id strings;
-- only keys whose hash is seen twice are then grouped by the key itself. Each CTE reads the
-- source itself: a CTE read several times is materialised with every column.
create or replace temp macro repeated_keys(source, key) as table
    with

    repeated_hashes as (
        select hash(key) as key_hash
        from query_table(source)
        where key is not null
        group by key_hash
        having count(*) > 1
    ),

    repeated as (
        select
            key as key_value,
            count(*) as bronze_rows,
            count(distinct source_rows) as distinct_rows
        from query_table(source) as source_rows
        where
            key is not null
            and hash(key) in (select key_hash from repeated_hashes)
        group by key_value
        having count(*) > 1
    ),

    final as (
        -- source_rows.* keeps the source's column order; ordering by the row compares it column by column.
        select
            source_rows.*,
            repeated.bronze_rows,
            repeated.distinct_rows
        from query_table(source) as source_rows
        inner join repeated on key = repeated.key_value
        qualify row_number() over (partition by key order by source_rows) = 1
    )

    select * from final
