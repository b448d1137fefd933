-- One row per trip_id that occurs more than once in bronze.hotels: the row kept for the id
-- (the first in column order, NULLs last) and how many bronze rows carry the id.
-- A work table: every other stay passes straight through, so the silver.hotels view reads
-- bronze.hotels and consults this small table instead of silver storing a second copy.
with

source as (
    select * from bronze.hotels
),

keyed as (
    select *
    from source
    where trip_id is not null
),

duplicated_keys as (
    select trip_id, count(*) as bronze_rows
    from keyed
    group by trip_id
    having count(*) > 1
),

first_of_duplicates as (
    select keyed.*, duplicated_keys.bronze_rows
    from keyed
    join duplicated_keys using (trip_id)
    qualify row_number() over (
        partition by trip_id
        order by hotel_name, nights, rooms, check_in_time, check_out_time, hotel_per_room_usd
    ) = 1
),

final as (
    select
        trip_id,
        hotel_name,
        nights,
        rooms,
        check_in_time,
        check_out_time,
        hotel_per_room_usd,
        bronze_rows
    from first_of_duplicates
)

select * from final
