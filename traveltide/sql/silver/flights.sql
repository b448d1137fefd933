-- One row per trip with a flight (trip_id unique and not NULL), typed.
-- Rows without trip_id ('null key') and further rows of a trip_id ('duplicate key': the
-- first in column order, NULLs last, is kept) are counted in silver.set_aside.
with

source as (
    select * from bronze.flights
),

keyed as (
    select *
    from source
    where trip_id is not null
),

-- Only keys that occur more than once need the ordered pick (a window sort over every column);
-- the other rows, nearly all of them, pass straight through: same result, a fraction of the work.
duplicated_keys as (
    select trip_id
    from keyed
    group by trip_id
    having count(*) > 1
),

single_rows as (
    select keyed.*
    from keyed
    anti join duplicated_keys using (trip_id)
),

first_of_duplicates as (
    select keyed.*
    from keyed
    semi join duplicated_keys using (trip_id)
    qualify row_number() over (
        partition by trip_id
        order by
            origin_airport, destination, destination_airport, seats, return_flight_booked,
            departure_time, return_time, checked_bags, trip_airline,
            destination_airport_lat, destination_airport_lon, base_fare_usd
    ) = 1
),

deduplicated as (
    select * from single_rows
    union all
    select * from first_of_duplicates
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
