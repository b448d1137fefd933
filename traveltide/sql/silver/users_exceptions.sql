-- One row per user_id that occurs more than once in bronze.users: the row kept for the id
-- (the first in column order, NULLs last), how many bronze rows carry the id and how many differ.
-- A work table: silver.users takes every other row as it is.
with

final as (
    select * from repeated_keys('bronze.users', user_id)
)

select * from final
