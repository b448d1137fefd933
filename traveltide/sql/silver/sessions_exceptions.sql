-- One row per session_id whose bronze rows silver.sessions does not take as they are: the id
-- occurs more than once, or its user is NULL or not in silver.users. It holds the row kept for
-- the id (the first in column order, NULLs last), how many bronze rows carry the id and
-- whether the kept row's user is known.
-- A work table: nearly every session passes straight through, so the silver.sessions view reads
-- bronze.sessions and consults this small table instead of silver storing a second copy.
-- The exception ids are found from the key columns alone, and only their rows are read whole:
-- each CTE names bronze.sessions itself, because a CTE read several times is materialised with
-- every column.
with

-- Hashes first: grouping millions of 64-bit hashes costs much less than grouping the id
-- strings; only ids whose hash is seen twice are then grouped by the id itself.
repeated_hashes as (
    select hash(session_id) as key_hash
    from bronze.sessions
    where session_id is not null
    group by key_hash
    having count(*) > 1
),

duplicated_keys as (
    select session_id, count(*) as bronze_rows
    from bronze.sessions
    where session_id is not null
        and hash(session_id) in (select key_hash from repeated_hashes)
    group by session_id
    having count(*) > 1
),

unknown_user_keys as (
    select session_id
    from bronze.sessions
    where session_id is not null
        and not coalesce(user_id in (select user_id from silver.users), false)
),

exception_keys as (
    select session_id from duplicated_keys
    union
    select session_id from unknown_user_keys
),

kept as (
    select sessions.*, coalesce(duplicated_keys.bronze_rows, 1) as bronze_rows
    from bronze.sessions as sessions
    semi join exception_keys using (session_id)
    left join duplicated_keys using (session_id)
    qualify row_number() over (
        partition by session_id
        order by
            user_id, trip_id, session_start, session_end, flight_discount, hotel_discount,
            flight_discount_amount, hotel_discount_amount, flight_booked, hotel_booked,
            page_clicks, cancellation
    ) = 1
),

final as (
    -- sessions.* keeps bronze's column order; the contract check after the build holds it to it.
    select *, coalesce(user_id in (select user_id from silver.users), false) as known_user
    from kept
)

select * from final
