-- differing_columns(source, key, keys): for each key of the table named by keys whose rows in
-- source differ (keys.distinct_rows > 1), the names of source's columns whose values differ
-- between those rows (NULL counts as a value). key is passed as a bare name, a column of both.
-- Only the rows of those few keys are read whole.
create or replace temp macro differing_columns(source, key, keys) as table
    with

    conflicting_rows as (
        select *
        from query_table(source)
        where key in (select key from query_table(keys) where distinct_rows > 1)
    ),

    -- One count of distinct values per column, named after the column (the key's own is 1).
    per_column as (
        select
            key as key_value,
            count(distinct coalesce(cast(columns(*) as varchar), chr(0)))
        from conflicting_rows
        group by key_value
    ),

    unpivoted as (
        unpivot per_column
        on columns(* exclude (key_value))
        into name column_name value distinct_values
    ),

    final as (
        select
            cast(key_value as varchar) as key_value,
            list(column_name) filter (where distinct_values > 1) as differing_columns
        from unpivoted
        group by key_value
    )

    select * from final
