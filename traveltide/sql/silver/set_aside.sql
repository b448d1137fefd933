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
        count(*) filter (where user_id is null) as null_key,
        count(user_id) - count(distinct user_id) as duplicate_key
    from bronze.users
),

sessions_counts as (
    select
        (select count(*) from bronze.sessions where session_id is null) as null_key,
        (select cast(coalesce(sum(bronze_rows - 1), 0) as bigint) from silver.sessions_exceptions) as duplicate_key,
        (select count(*) from silver.sessions_exceptions where not known_user) as unknown_user
),

flights_counts as (
    select
        (select count(*) from bronze.flights where trip_id is null) as null_key,
        (select cast(coalesce(sum(bronze_rows - 1), 0) as bigint) from silver.flights_exceptions) as duplicate_key
),

hotels_counts as (
    select
        (select count(*) from bronze.hotels where trip_id is null) as null_key,
        (select cast(coalesce(sum(bronze_rows - 1), 0) as bigint) from silver.hotels_exceptions) as duplicate_key
),

final as (
    select 'users' as table_name, 'null key' as reason, null_key as rows from users_counts
    union all
    select 'users', 'duplicate key', duplicate_key from users_counts
    union all
    select 'sessions', 'null key', null_key from sessions_counts
    union all
    select 'sessions', 'duplicate key', duplicate_key from sessions_counts
    union all
    select 'sessions', 'unknown user', unknown_user from sessions_counts
    union all
    select 'flights', 'null key', null_key from flights_counts
    union all
    select 'flights', 'duplicate key', duplicate_key from flights_counts
    union all
    select 'hotels', 'null key', null_key from hotels_counts
    union all
    select 'hotels', 'duplicate key', duplicate_key from hotels_counts
)

select * from final
