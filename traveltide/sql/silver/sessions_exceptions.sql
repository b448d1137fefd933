-- One row per session_id whose bronze rows silver.sessions does not take as they are: the id
-- occurs more than once, or its user is NULL or not in silver.users. It holds the row kept for
-- the id (the first in column order, NULLs last), how many bronze rows carry the id and
-- whether the kept row's user is known.
-- A work table: nearly every session passes straight through, so the silver.sessions view reads
-- bronze.sessions and consults this small table instead of silver storing a second copy.
with

repeated as (
    select * from repeated_keys('bronze.sessions', session_id)
),

-- Sessions with an id of their own whose user is NULL or unknown: one bronze row each.
unknown_user_rows as (
    select
        sessions.*,
        cast(1 as bigint) as bronze_rows,
        cast(1 as bigint) as distinct_rows
    from bronze.sessions as sessions
    where
        session_id is not null
        and not coalesce(user_id in (select user_id from silver.users), false)
        and session_id not in (select session_id from repeated)
),

kept as (
    select * from repeated
    union all
    select * from unknown_user_rows
),

final as (
    -- kept keeps bronze's column order; the contract check after the build holds it to it.
    select *, coalesce(user_id in (select user_id from silver.users), false) as known_user
    from kept
)

select * from final
