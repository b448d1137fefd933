-- One row per session of a known user (session_id unique and not NULL), typed, with
-- session_type and session_seconds.
-- Set aside and counted in silver.set_aside: rows without session_id ('null key'); further
-- rows of a session_id (the first in column order, NULLs last, is kept; the others are a
-- 'repeated row' or a 'conflicting row');
-- sessions whose user_id is NULL or not in silver.users ('unknown user'), so every silver
-- session resolves to a user.
-- session_type: 'cancellation' when cancellation is true, else 'booking' when trip_id is set,
-- else 'browse' (a NULL cancellation flag counts as false).
-- A view: sessions whose id is unique and whose user is known pass straight through from
-- bronze; the few others are settled once in silver.sessions_exceptions (the kept row per id).
with

source as (
    select * from bronze.sessions
),

passed_through as (
    select source.*
    from source
    -- The work table is named in both places, not as a CTE: a CTE read twice is materialised,
    -- and DuckDB would then compute every column even for a count(*).
    anti join silver.sessions_exceptions using (session_id)
    where source.session_id is not null
),

kept as (
    select * exclude (bronze_rows, distinct_rows, known_user)
    from silver.sessions_exceptions
    where known_user
),

known_users as (
    select * from passed_through
    union all
    select * from kept
),

-- A row with a value outside silver.plausible_bounds is set aside ('implausible value').
implausible as (
    select key_value as session_id from silver.implausible_values where table_name = 'sessions'
),

plausible as (
    select known_users.*
    from known_users
    anti join implausible using (session_id)
),

final as (
    select
        session_id,
        user_id,
        trip_id,
        session_start,
        session_end,
        flight_discount,
        hotel_discount,
        flight_discount_amount,
        hotel_discount_amount,
        flight_booked,
        hotel_booked,
        page_clicks,
        cancellation,
        case
            when coalesce(cancellation, false) then 'cancellation'
            when trip_id is not null then 'booking'
            else 'browse'
        end as session_type,
        cast(date_diff('microsecond', session_start, session_end) as double) / 1e6 as session_seconds
    from plausible
)

select * from final
