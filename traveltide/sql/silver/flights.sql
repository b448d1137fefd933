-- One row per trip with a flight (trip_id unique and not NULL), typed.
-- Rows without trip_id ('null key') and further rows of a trip_id ('duplicate key': the
-- first in column order, NULLs last, is kept) are counted in silver.set_aside.
with

source as (
    select * from bronze.flights
),

deduplicated as (
    select *
    from source
    where trip_id is not null
    qualify row_number() over (
        partition by trip_id
        order by
            origin_airport, destination, destination_airport, seats, return_flight_booked,
            departure_time, return_time, checked_bags, trip_airline,
            destination_airport_lat, destination_airport_lon, base_fare_usd
    ) = 1
),

final as (
    select
        trip_id,
        origin_airport,
        destination,
        destination_airport,
        seats,
        return_flight_booked,
        departure_time,
        return_time,
        checked_bags,
        trip_airline,
        destination_airport_lat,
        destination_airport_lon,
        base_fare_usd
    from deduplicated
)

select * from final
