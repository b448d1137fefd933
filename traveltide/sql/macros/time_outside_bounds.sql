-- time_outside_bounds(source, label, key, field, value): one row per row of the table named
-- by source whose value (a column of it, passed as a bare name) lies outside the bounds that
-- silver.plausible_bounds gives the column named field of table label, compared as TIMESTAMP
-- (the upper bound excluded): the key and the value as text, and the bounds. A NULL is not
-- implausible (the contract says where NULLs may be). A twin of number_outside_bounds: one macro
-- for both kinds needs the values as numbers (epoch per row), measured slower on 5 M sessions.
create or replace temp macro time_outside_bounds(source, label, key, field, value) as table
    with

    bounds as (
        select
            low,
            high
        from silver.plausible_bounds
        where table_name = label and column_name = field
    )

    select
        label as table_name,
        cast(key as varchar) as key_value,
        field as column_name,
        cast(value as varchar) as value,
        bounds.low,
        bounds.high
    from query_table(source)
    cross join bounds
    where
        key is not null
        and value is not null
        and (
            cast(value as timestamp) < cast(bounds.low as timestamp)
            or cast(value as timestamp) >= cast(bounds.high as timestamp)
        )
