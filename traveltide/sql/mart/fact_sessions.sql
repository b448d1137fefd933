-- One row per session of a cohort user in the window (gold sessions).
with sessions as (
    select * from gold.sessions
),

final as (
    select
        cast(session_id as varchar) as session_id,
        cast(user_id as integer) as user_id,
        cast(trip_id as varchar) as trip_id,
        cast(session_start as date) as session_date,
        cast(session_start as timestamp) as session_start,
        cast(session_end as timestamp) as session_end,
        cast(session_type as varchar) as session_type,
        cast(page_clicks as integer) as page_clicks,
        cast(session_seconds as double) as session_seconds,
        cast(flight_discount as boolean) as flight_discount,
        cast(hotel_discount as boolean) as hotel_discount,
        cast(flight_discount_amount as double) as flight_discount_amount,
        cast(hotel_discount_amount as double) as hotel_discount_amount,
        cast(flight_booked as boolean) as flight_booked,
        cast(hotel_booked as boolean) as hotel_booked,
        cast(cancellation as boolean) as cancellation
    from sessions
)

select * from final
