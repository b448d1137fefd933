-- One row per session_id whose bronze rows silver.sessions does not take as they are: the id
-- occurs more than once, or its user is NULL or not in silver.users. It holds the row kept for
-- the id (the first in column order, NULLs last), how many bronze rows carry the id and
-- whether the kept row's user is known.
-- A work table: nearly every session passes straight through, so the silver.sessions view reads
-- bronze.sessions and consults this small table instead of silver storing a second copy.
with

source as (
    select * from bronze.sessions
),

users as (
    select user_id from silver.users
),

keyed as (
    select *
    from source
    where session_id is not null
),

-- Hashes first: grouping millions of 64-bit hashes costs much less than grouping the id
-- strings; only ids whose hash is seen twice are then grouped by the id itself.
repeated_hashes as (
    select hash(session_id) as key_hash
    from keyed
    group by key_hash
    having count(*) > 1
),

duplicated_keys as (
    select session_id, count(*) as bronze_rows
    from keyed
    where hash(session_id) in (select key_hash from repeated_hashes)
    group by session_id
    having count(*) > 1
),

first_of_duplicates as (
    select keyed.*, duplicated_keys.bronze_rows
    from keyed
    join duplicated_keys using (session_id)
    qualify row_number() over (
        partition by session_id
        order by
            user_id, trip_id, session_start, session_end, flight_discount, hotel_discount,
            flight_discount_amount, hotel_discount_amount, flight_booked, hotel_booked,
            page_clicks, cancellation
    ) = 1
),

single_rows as (
    select keyed.*, 1::bigint as bronze_rows
    from keyed
    anti join duplicated_keys using (session_id)
),

checked as (
    select *, coalesce(user_id in (select user_id from users), false) as known_user
    from first_of_duplicates
    union all
    select *, false as known_user
    from single_rows
    where not coalesce(user_id in (select user_id from users), false)
),

final as (
    -- keyed.* keeps bronze's column order; the contract check after the build holds it to it.
    select * from checked
)

select * from final
