-- One row per cohort user with the behavioural features of their gold sessions and trips.
-- The six SPEC features first (total_sessions, cancellation_rate, discount_usage_rate,
-- total_nights, total_checked_bags, total_base_fare), then further features. Trip features
-- count kept trips only: booked (booking session in the window), not cancelled, and with a flight
-- or a hotel (a trip with neither is listed by the gold.trips suite and counts for nothing).
-- A cancellation session counts once per trip and only when it cancels a booking: the first
-- cancellation of a trip that has a booking session (gold.trips.cancellation_session_id of a
-- cancelled trip). Cancellation sessions never count as discount use: their flags are always true.
-- Every feature is NOT NULL: a ratio with a zero denominator and an empty sum are 0.
with

cohort as (
    select user_id from gold.cohort
),

sessions as (
    select * from gold.sessions
),

trips as (
    select * from gold.trips
),

cancelling_sessions as (
    select cancellation_session_id as session_id
    from trips
    where cancelled
),

session_offers as (
    select
        user_id,
        session_type,
        session_id in (select session_id from cancelling_sessions) as cancels_a_booking,
        coalesce(flight_discount, false) or coalesce(hotel_discount, false) as discount_offered,
        -- the session's offered fraction: mean of the amounts whose flag is true
        (
            coalesce(case when flight_discount then flight_discount_amount end, 0)
            + coalesce(case when hotel_discount then hotel_discount_amount end, 0)
        ) / nullif(
            (case when flight_discount and flight_discount_amount is not null then 1 else 0 end)
            + (case when hotel_discount and hotel_discount_amount is not null then 1 else 0 end),
            0
        ) as offered_fraction,
        page_clicks,
        session_seconds
    from sessions
),

session_stats as (
    select
        user_id,
        count(*) as total_sessions,
        count(*) filter (where cancels_a_booking) as cancellation_sessions,
        count(*) filter (where session_type = 'booking') as booking_sessions,
        count(*) filter (where session_type <> 'cancellation') as non_cancellation_sessions,
        count(*) filter (where session_type <> 'cancellation' and discount_offered) as discounted_sessions,
        avg(offered_fraction) filter (where session_type <> 'cancellation') as avg_discount_amount,
        avg(page_clicks) as avg_page_clicks,
        avg(session_seconds) as avg_session_seconds
    from session_offers
    group by user_id
),

kept_trips as (
    select *
    from trips
    where booked and not cancelled and (has_flight or has_hotel)
),

kept_trip_stats as (
    select
        user_id,
        count(*) as booked_trips,
        count(*) filter (where has_flight) as flight_trips,
        count(*) filter (where has_hotel) as hotel_trips,
        count(*) filter (where has_flight and has_hotel) as bundle_trips,
        sum(nights) filter (where has_hotel) as total_nights,
        sum(checked_bags) filter (where has_flight) as total_checked_bags,
        sum(base_fare_usd) filter (where has_flight) as total_base_fare,
        sum(nights * rooms * hotel_per_room_usd) filter (where has_hotel) as total_hotel_spend_usd
    from kept_trips
    group by user_id
),

cancelled_trip_stats as (
    select user_id, count(*) as cancelled_trips
    from trips
    where cancelled and (has_flight or has_hotel)
    group by user_id
),

joined as (
    select
        cohort.user_id,
        coalesce(session_stats.total_sessions, 0) as total_sessions,
        coalesce(session_stats.cancellation_sessions, 0) as cancellation_sessions,
        coalesce(session_stats.booking_sessions, 0) as booking_sessions,
        coalesce(session_stats.non_cancellation_sessions, 0) as non_cancellation_sessions,
        coalesce(session_stats.discounted_sessions, 0) as discounted_sessions,
        coalesce(session_stats.avg_discount_amount, 0) as avg_discount_amount,
        coalesce(session_stats.avg_page_clicks, 0) as avg_page_clicks,
        coalesce(session_stats.avg_session_seconds, 0) as avg_session_seconds,
        coalesce(kept_trip_stats.booked_trips, 0) as booked_trips,
        coalesce(kept_trip_stats.flight_trips, 0) as flight_trips,
        coalesce(kept_trip_stats.hotel_trips, 0) as hotel_trips,
        coalesce(kept_trip_stats.bundle_trips, 0) as bundle_trips,
        coalesce(kept_trip_stats.total_nights, 0) as total_nights,
        coalesce(kept_trip_stats.total_checked_bags, 0) as total_checked_bags,
        coalesce(kept_trip_stats.total_base_fare, 0) as total_base_fare,
        coalesce(kept_trip_stats.total_hotel_spend_usd, 0) as total_hotel_spend_usd,
        coalesce(cancelled_trip_stats.cancelled_trips, 0) as cancelled_trips
    from cohort
    left join session_stats using (user_id)
    left join kept_trip_stats using (user_id)
    left join cancelled_trip_stats using (user_id)
),

final as (
    select
        user_id,
        cast(total_sessions as bigint) as total_sessions,
        coalesce(cast(cancellation_sessions as double) / nullif(total_sessions, 0), 0) as cancellation_rate,
        coalesce(cast(discounted_sessions as double) / nullif(non_cancellation_sessions, 0), 0)
            as discount_usage_rate,
        cast(total_nights as bigint) as total_nights,
        cast(total_checked_bags as bigint) as total_checked_bags,
        cast(total_base_fare as double) as total_base_fare,
        cast(booking_sessions as bigint) as booking_sessions,
        cast(booked_trips as bigint) as booked_trips,
        cast(cancelled_trips as bigint) as cancelled_trips,
        coalesce(cast(booking_sessions as double) / nullif(total_sessions, 0), 0) as booking_rate,
        coalesce(cast(booking_sessions as double) / nullif(non_cancellation_sessions, 0), 0) as conversion_rate,
        cast(flight_trips as bigint) as flight_trips,
        cast(hotel_trips as bigint) as hotel_trips,
        coalesce(cast(bundle_trips as double) / nullif(booked_trips, 0), 0) as bundle_rate,
        coalesce(cast(total_checked_bags as double) / nullif(flight_trips, 0), 0) as bags_per_flight,
        coalesce(cast(total_nights as double) / nullif(hotel_trips, 0), 0) as nights_per_hotel_trip,
        cast(avg_discount_amount as double) as avg_discount_amount,
        cast(avg_page_clicks as double) as avg_page_clicks,
        cast(avg_session_seconds as double) as avg_session_seconds,
        cast(total_hotel_spend_usd as double) as total_hotel_spend_usd
    from joined
)

select * from final
