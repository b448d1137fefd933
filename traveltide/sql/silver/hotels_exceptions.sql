-- One row per trip_id that occurs more than once in bronze.hotels: the row kept for the id
-- (the first in column order, NULLs last), how many bronze rows carry the id and how many differ.
-- A work table: every other stay passes straight through, so the silver.hotels view reads
-- bronze.hotels and consults this small table instead of silver storing a second copy.
with

final as (
    select * from repeated_keys('bronze.hotels', trip_id)
)

select * from final
