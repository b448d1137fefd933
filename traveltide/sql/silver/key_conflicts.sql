-- One row per source table and key whose bronze rows differ (a conflict): how many rows carry
-- the key, how many of them differ, and which columns differ. Silver keeps the first row in
-- column order (NULLs last) and sets the other differing rows aside as 'conflicting row'.
with

repeated as (
    select 'users' as table_name, cast(user_id as varchar) as key_value, bronze_rows, distinct_rows
    from silver.users_exceptions
    union all
    select 'sessions' as table_name, session_id as key_value, bronze_rows, distinct_rows from silver.sessions_exceptions
    union all
    select 'flights' as table_name, trip_id as key_value, bronze_rows, distinct_rows from silver.flights_exceptions
    union all
    select 'hotels' as table_name, trip_id as key_value, bronze_rows, distinct_rows from silver.hotels_exceptions
),

differing as (
    select 'users' as table_name, *
    from differing_columns('bronze.users', user_id, 'silver.users_exceptions')
    union all
    select 'sessions' as table_name, *
    from differing_columns('bronze.sessions', session_id, 'silver.sessions_exceptions')
    union all
    select 'flights' as table_name, *
    from differing_columns('bronze.flights', trip_id, 'silver.flights_exceptions')
    union all
    select 'hotels' as table_name, *
    from differing_columns('bronze.hotels', trip_id, 'silver.hotels_exceptions')
),

final as (
    select
        repeated.table_name,
        repeated.key_value,
        repeated.bronze_rows,
        repeated.distinct_rows,
        differing.differing_columns
    from repeated
    inner join differing using (table_name, key_value)
    where repeated.distinct_rows > 1
)

select * from final
