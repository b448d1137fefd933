-- One row per table, key and reason of the bronze rows silver did not take as they are (the
-- rows silver.set_aside counts): a NULL key (key_value NULL), a key repeated identically or
-- with conflicting values, a session of an unknown user, a value outside the plausible bounds
-- (for users: kept with the value set to NULL). The source lines of these keys are looked up
-- in the export files by rejects/source_lines.sql.
with

repeats as (
    select
        'users' as table_name,
        cast(user_id as varchar) as key_value,
        if(distinct_rows = 1, 'repeated row', 'conflicting row') as reason
    from silver.users_exceptions
    union all
    select
        'sessions' as table_name,
        session_id as key_value,
        if(distinct_rows = 1, 'repeated row', 'conflicting row') as reason
    from silver.sessions_exceptions
    where bronze_rows > 1
    union all
    select
        'flights' as table_name,
        trip_id as key_value,
        if(distinct_rows = 1, 'repeated row', 'conflicting row') as reason
    from silver.flights_exceptions
    union all
    select
        'hotels' as table_name,
        trip_id as key_value,
        if(distinct_rows = 1, 'repeated row', 'conflicting row') as reason
    from silver.hotels_exceptions
),

unknown_users as (
    select
        'sessions' as table_name,
        session_id as key_value,
        'unknown user' as reason
    from silver.sessions_exceptions
    where not known_user
),

-- key_value NULL stands for every line whose key field is empty.
null_keys as (
    select
        'users' as table_name,
        null as key_value,
        'null key' as reason
    where exists (select 1 from bronze.users where user_id is null)
    union all
    select
        'sessions' as table_name,
        null as key_value,
        'null key' as reason
    where exists (select 1 from bronze.sessions where session_id is null)
    union all
    select
        'flights' as table_name,
        null as key_value,
        'null key' as reason
    where exists (select 1 from bronze.flights where trip_id is null)
    union all
    select
        'hotels' as table_name,
        null as key_value,
        'null key' as reason
    where exists (select 1 from bronze.hotels where trip_id is null)
),

implausible as (
    select distinct
        table_name,
        key_value,
        if(table_name = 'users', 'implausible value (kept, set to NULL)', 'implausible value') as reason
    from silver.implausible_values
),

final as (
    select * from repeats
    union all
    select * from unknown_users
    union all
    select * from null_keys
    union all
    select * from implausible
)

select * from final
