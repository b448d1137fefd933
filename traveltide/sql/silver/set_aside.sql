-- One row per silver table and reason a bronze row was left out of silver, with the count.
-- Every bronze row is either in silver or counted here:
-- bronze rows = silver rows + sum(rows) per table.
-- 'null key': primary key NULL; 'duplicate key': rows beyond the first per primary key;
-- 'unknown user': distinct sessions (after deduplication) whose user is NULL or not in
-- silver.users. Duplicates and unknown users are read from the <table>_exceptions work tables,
-- which hold one row per such key with its bronze row count.
with

users_counts as (
    select
        'users' as table_name,
        count(*) filter (where user_id is null) as null_key,
        count(user_id) - count(distinct user_id) as duplicate_key,
        cast(null as bigint) as unknown_user
    from bronze.users
),

sessions_counts as (
    select
        'sessions' as table_name,
        (select count(*) from bronze.sessions where session_id is null) as null_key,
        (select coalesce(sum(bronze_rows - 1), 0) from silver.sessions_exceptions) as duplicate_key,
        (select count(*) from silver.sessions_exceptions where not known_user) as unknown_user
),

flights_counts as (
    select
        'flights' as table_name,
        (select count(*) from bronze.flights where trip_id is null) as null_key,
        (select coalesce(sum(bronze_rows - 1), 0) from silver.flights_exceptions) as duplicate_key,
        cast(null as bigint) as unknown_user
),

hotels_counts as (
    select
        'hotels' as table_name,
        (select count(*) from bronze.hotels where trip_id is null) as null_key,
        (select coalesce(sum(bronze_rows - 1), 0) from silver.hotels_exceptions) as duplicate_key,
        cast(null as bigint) as unknown_user
),

per_table as (
    select * from users_counts
    union all by name
    select * from sessions_counts
    union all by name
    select * from flights_counts
    union all by name
    select * from hotels_counts
),

-- One row per table and reason; unpivot leaves out the NULLs of reasons a table cannot have.
per_reason as (
    unpivot per_table
    on null_key, duplicate_key, unknown_user
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
