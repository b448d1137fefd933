-- One row per trip_id that occurs more than once in bronze.hotels: the row kept for the id
-- (the first in column order, NULLs last) and how many bronze rows carry the id.
-- A work table: every other stay passes straight through, so the silver.hotels view reads
-- bronze.hotels and consults this small table instead of silver storing a second copy.
-- Each CTE names bronze.hotels itself: a CTE read several times is materialised with every column.
with

-- Hashes first: grouping millions of 64-bit hashes costs much less than grouping the id
-- strings; only ids whose hash is seen twice are then grouped by the id itself.
repeated_hashes as (
    select hash(trip_id) as key_hash
    from bronze.hotels
    where trip_id is not null
    group by key_hash
    having count(*) > 1
),

duplicated_keys as (
    select trip_id, count(*) as bronze_rows
    from bronze.hotels
    where trip_id is not null
        and hash(trip_id) in (select key_hash from repeated_hashes)
    group by trip_id
    having count(*) > 1
),

first_of_duplicates as (
    select hotels.*, duplicated_keys.bronze_rows
    from bronze.hotels as hotels
    join duplicated_keys using (trip_id)
    qualify row_number() over (
        partition by trip_id
        order by hotel_name, nights, rooms, check_in_time, check_out_time, hotel_per_room_usd
    ) = 1
),

final as (
    -- hotels.* keeps bronze's column order; the contract check after the build holds it to it.
    select * from first_of_duplicates
)

select * from final
