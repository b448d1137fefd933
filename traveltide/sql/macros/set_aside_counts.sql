-- set_aside_counts(label, source, key, exceptions): one row for the source table named by
-- source: its rows with a NULL key, the identical copies of kept rows ('repeated row') and the
-- rows that share a key with the kept row but differ from it ('conflicting row'), from the
-- work table named by exceptions (one row per repeated key, with bronze_rows and distinct_rows).
create or replace temp macro set_aside_counts(label, source, key, exceptions) as table
    select
        label as table_name,
        (select count(*) from query_table(source) where key is null) as null_key,
        (select coalesce(sum(bronze_rows - distinct_rows), 0) from query_table(exceptions)) as repeated_row,
        (select coalesce(sum(distinct_rows - 1), 0) from query_table(exceptions)) as conflicting_row
