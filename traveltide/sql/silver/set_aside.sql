-- One row per silver table and reason a bronze row was left out of silver, with the count.
-- Every bronze row is either in silver or counted here:
-- bronze rows = silver rows + sum(rows) per table.
-- 'null key': primary key NULL; 'repeated row': an identical copy of the kept row of its key;
-- 'conflicting row': a row sharing its key with the kept row but differing from it;
-- 'unknown user': distinct sessions (after deduplication) whose user is NULL or not in
-- silver.users; 'implausible value': distinct sessions of known users, flights and hotels
-- with a value outside silver.plausible_bounds (one per key of silver.implausible_values).
-- Repeats and unknown users are read from the <table>_exceptions work tables, which hold one
-- row per such key with its bronze and distinct row counts.
with

per_table as (
    select * from set_aside_counts('users', 'bronze.users', user_id, 'silver.users_exceptions')
    union all by name
    select
        *,
        (select count(*) from silver.sessions_exceptions where not known_user) as unknown_user,
        (
            select count(distinct key_value)
            from silver.implausible_values
            where
                table_name = 'sessions'
                and key_value not in (select session_id from silver.sessions_exceptions where not known_user)
        ) as implausible_value
    from set_aside_counts('sessions', 'bronze.sessions', session_id, 'silver.sessions_exceptions')
    union all by name
    select
        *,
        (select count(distinct key_value) from silver.implausible_values where table_name = 'flights')
            as implausible_value
    from set_aside_counts('flights', 'bronze.flights', trip_id, 'silver.flights_exceptions')
    union all by name
    select
        *,
        (select count(distinct key_value) from silver.implausible_values where table_name = 'hotels')
            as implausible_value
    from set_aside_counts('hotels', 'bronze.hotels', trip_id, 'silver.hotels_exceptions')
),

-- One row per table and reason; unpivot leaves out the NULL of a reason a table cannot have.
per_reason as (
    unpivot per_table
    on null_key, repeated_row, conflicting_row, unknown_user, implausible_value
    into name reason value row_count
),

final as (
    select
        table_name,
        replace(reason, '_', ' ') as reason,
        cast(row_count as bigint) as rows
    from per_reason
)

select * from final
