-- One row per session of a known user (session_id unique and not NULL), typed, with
-- session_type and session_seconds.
-- Set aside and counted in silver.set_aside: rows without session_id ('null key'); further
-- rows of a session_id ('duplicate key': the first in column order, NULLs last, is kept);
-- sessions whose user_id is NULL or not in silver.users ('unknown user'), so every silver
-- session resolves to a user.
-- session_type: 'cancellation' when cancellation is true, else 'booking' when trip_id is set,
-- else 'browse' (a NULL cancellation flag counts as false).
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

-- Only keys that occur more than once need the ordered pick (a window sort over every column);
-- the other rows, nearly all of them, pass straight through: same result, a fraction of the work.
duplicated_keys as (
    select session_id
    from keyed
    group by session_id
    having count(*) > 1
),

single_rows as (
    select keyed.*
    from keyed
    anti join duplicated_keys using (session_id)
),

first_of_duplicates as (
    select keyed.*
    from keyed
    semi join duplicated_keys using (session_id)
    qualify row_number() over (
        partition by session_id
        order by
            user_id, trip_id, session_start, session_end, flight_discount, hotel_discount,
            flight_discount_amount, hotel_discount_amount, flight_booked, hotel_booked,
            page_clicks, cancellation
    ) = 1
),

deduplicated as (
    select * from single_rows
    union all
    select * from first_of_duplicates
),

known_users as (
    select *
    from deduplicated
    where user_id in (select user_id from users)
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
    from known_users
)

select * from final
