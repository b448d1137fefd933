-- One row per trip_id that occurs more than once in bronze.flights: the row kept for the id
-- (the first in column order, NULLs last) and how many bronze rows carry the id.
-- A work table: every other flight passes straight through, so the silver.flights view reads
-- bronze.flights and consults this small table instead of silver storing a second copy.
-- Each CTE names bronze.flights itself: a CTE read several times is materialised with every column.
with

-- Hashes first: grouping millions of 64-bit hashes costs much less than grouping the id
-- strings; only ids whose hash is seen twice are then grouped by the id itself.
repeated_hashes as (
    select hash(trip_id) as key_hash
    from bronze.flights
    where trip_id is not null
    group by key_hash
    having count(*) > 1
),

duplicated_keys as (
    select trip_id, count(*) as bronze_rows
    from bronze.flights
    where trip_id is not null
        and hash(trip_id) in (select key_hash from repeated_hashes)
    group by trip_id
    having count(*) > 1
),

first_of_duplicates as (
    select flights.*, duplicated_keys.bronze_rows
    from bronze.flights as flights
    join duplicated_keys using (trip_id)
    qualify row_number() over (
        partition by trip_id
        order by
            origin_airport, destination, destination_airport, seats, return_flight_booked,
            departure_time, return_time, checked_bags, trip_airline,
            destination_airport_lat, destination_airport_lon, base_fare_usd
    ) = 1
),

final as (
    -- flights.* keeps bronze's column order; the contract check after the build holds it to it.
    select * from first_of_duplicates
)

select * from final
