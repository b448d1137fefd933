-- One row per trip of a gold session (booked or cancelled in the window).
with trips as (
    select * from gold.trips
),

final as (
    select
        cast(trip_id as varchar) as trip_id,
        cast(booking_session_id as varchar) as booking_session_id,
        cast(booking_session_start as timestamp) as booking_session_start,
        cast(cancellation_session_id as varchar) as cancellation_session_id,
        cast(cancellation_session_start as timestamp) as cancellation_session_start,
        cast(booked as boolean) as booked,
        cast(cancelled as boolean) as cancelled,
        cast(flight_booked as boolean) as flight_booked,
        cast(hotel_booked as boolean) as hotel_booked,
        cast(has_flight as boolean) as has_flight,
        cast(has_hotel as boolean) as has_hotel,
        cast(origin_airport as varchar) as origin_airport,
        cast(destination as varchar) as destination,
        cast(destination_airport as varchar) as destination_airport,
        cast(seats as integer) as seats,
        cast(return_flight_booked as boolean) as return_flight_booked,
        cast(departure_time as timestamp) as departure_time,
        cast(return_time as timestamp) as return_time,
        cast(checked_bags as integer) as checked_bags,
        cast(trip_airline as varchar) as trip_airline,
        cast(destination_airport_lat as double) as destination_airport_lat,
        cast(destination_airport_lon as double) as destination_airport_lon,
        cast(base_fare_usd as double) as base_fare_usd,
        cast(hotel_name as varchar) as hotel_name,
        cast(hotel_brand as varchar) as hotel_brand,
        cast(hotel_city as varchar) as hotel_city,
        cast(nights_reported as integer) as nights_reported,
        cast(nights as integer) as nights,
        cast(rooms as integer) as rooms,
        cast(check_in_time as timestamp) as check_in_time,
        cast(check_out_time as timestamp) as check_out_time,
        cast(hotel_per_room_usd as double) as hotel_per_room_usd
    from trips
)

select * from final
