-- One row per trip of a gold session, with its booking and cancellation sessions, flight
-- and hotel attributes where they exist, and the flags the features rely on.
-- booked: the trip's booking session starts in the window (>= start_date); a trip whose
-- booking precedes the window is here only through an in-window cancellation, booked = false.
-- cancelled: a cancellation session for the trip exists in silver, at any time, and so does its
-- booking session (a cancellation without a booking cancels nothing; silver's suite lists it).
-- flight_booked / hotel_booked come from the booking session: in cancellation sessions both
-- flags are always true and carry no information. has_flight / has_hotel: the trip has a
-- silver flights / hotels row. Should the source hold several booking (or cancellation)
-- sessions for a trip, the earliest is used.
with

gold_sessions as (
    select * from gold.sessions
),

silver_sessions as (
    select * from silver.sessions
),

trip_ids as (
    select trip_id, min(user_id) as user_id
    from gold_sessions
    where trip_id is not null
    group by trip_id
),

flights as (
    select *
    from silver.flights
    where trip_id in (select trip_id from trip_ids)
),

hotels as (
    select *
    from silver.hotels
    where trip_id in (select trip_id from trip_ids)
),

-- The first booking and the first cancellation session of each trip, in one pass over silver.
first_sessions as (
    select trip_id, session_type, session_id, session_start, flight_booked, hotel_booked
    from silver_sessions
    where
        session_type in ('booking', 'cancellation')
        and trip_id in (select trip_id from trip_ids)
    qualify row_number() over (partition by trip_id, session_type order by session_start, session_id) = 1
),

booking_sessions as (
    select trip_id, session_id, session_start, flight_booked, hotel_booked
    from first_sessions
    where session_type = 'booking'
),

cancellation_sessions as (
    select trip_id, session_id, session_start
    from first_sessions
    where session_type = 'cancellation'
),

final as (
    select
        trip_ids.trip_id,
        trip_ids.user_id,
        booking_sessions.session_id as booking_session_id,
        booking_sessions.session_start as booking_session_start,
        cancellation_sessions.session_id as cancellation_session_id,
        cancellation_sessions.session_start as cancellation_session_start,
        coalesce(booking_sessions.session_start >= cast($start_date as date), false) as booked,
        cancellation_sessions.session_id is not null and booking_sessions.session_id is not null as cancelled,
        coalesce(booking_sessions.flight_booked, false) as flight_booked,
        coalesce(booking_sessions.hotel_booked, false) as hotel_booked,
        flights.trip_id is not null as has_flight,
        hotels.trip_id is not null as has_hotel,
        flights.origin_airport,
        flights.destination,
        flights.destination_airport,
        flights.seats,
        flights.return_flight_booked,
        flights.departure_time,
        flights.return_time,
        flights.checked_bags,
        flights.trip_airline,
        flights.destination_airport_lat,
        flights.destination_airport_lon,
        flights.base_fare_usd,
        hotels.hotel_name,
        hotels.hotel_brand,
        hotels.hotel_city,
        hotels.nights_reported,
        hotels.nights,
        hotels.rooms,
        hotels.check_in_time,
        hotels.check_out_time,
        hotels.hotel_per_room_usd
    from trip_ids
    left join booking_sessions using (trip_id)
    left join cancellation_sessions using (trip_id)
    left join flights using (trip_id)
    left join hotels using (trip_id)
)

select * from final
