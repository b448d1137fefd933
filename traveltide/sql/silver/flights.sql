-- One row per trip with a flight (trip_id unique and not NULL), typed.
-- Rows without trip_id ('null key') and further rows of a trip_id (the first in column order,
-- NULLs last, is kept; the others are a 'repeated row' or a 'conflicting row') are counted in silver.set_aside.
-- A view: rows with a unique trip_id pass straight through from bronze; duplicated ids are
-- settled once in silver.flights_exceptions (the kept row per id).
with

source as (
    select * from bronze.flights
),

passed_through as (
    select source.*
    from source
    -- The work table is named in both places, not as a CTE: a CTE read twice is materialised,
    -- and DuckDB would then compute every column even for a count(*).
    anti join silver.flights_exceptions using (trip_id)
    where source.trip_id is not null
),

kept as (
    select * exclude (bronze_rows, distinct_rows)
    from silver.flights_exceptions
),

deduplicated as (
    select * from passed_through
    union all
    select * from kept
),

-- A row with a value outside silver.plausible_bounds is set aside ('implausible value').
implausible as (
    select key_value as trip_id from silver.implausible_values where table_name = 'flights'
),

plausible as (
    select deduplicated.*
    from deduplicated
    anti join implausible using (trip_id)
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
    from plausible
)

select * from final
