-- One row per trip with a hotel stay (trip_id unique and not NULL), typed, with hotel_brand,
-- hotel_city, the source's nights_reported and clean nights.
-- Rows without trip_id ('null key') and further rows of a trip_id (the first in column order,
-- NULLs last, is kept; the others are a 'repeated row' or a 'conflicting row') are counted in silver.set_aside.
-- A view: rows with a unique trip_id pass straight through from bronze; duplicated ids are
-- settled once in silver.hotels_exceptions (the kept row per id).
-- hotel_name is '<Brand> - <city>'; 8 brands carry a trailing space ('NH Hotel  - ottawa'),
-- so the name is split at the first ' - ' and both parts are trimmed ('Shangri-La' keeps its
-- hyphen). nights = max(0, check_out date - check_in date + 1 if check_out time > 12:00):
-- check-out is at 11:00 with one hour of grace; a later check-out costs one more night.
with

source as (
    select * from bronze.hotels
),

passed_through as (
    select source.*
    from source
    -- The work table is named in both places, not as a CTE: a CTE read twice is materialised,
    -- and DuckDB would then compute every column even for a count(*).
    anti join silver.hotels_exceptions using (trip_id)
    where source.trip_id is not null
),

kept as (
    select * exclude (bronze_rows, distinct_rows)
    from silver.hotels_exceptions
),

deduplicated as (
    select * from passed_through
    union all
    select * from kept
),

-- A row with a value outside silver.plausible_bounds is set aside ('implausible value').
implausible as (
    select key_value as trip_id from silver.implausible_values where table_name = 'hotels'
),

plausible as (
    select deduplicated.*
    from deduplicated
    anti join implausible using (trip_id)
),

split_names as (
    select
        *,
        strpos(hotel_name, ' - ') as separator_at
    from plausible
),

final as (
    select
        trip_id,
        hotel_name,
        nullif(trim(case when separator_at > 0 then left(hotel_name, separator_at - 1) else hotel_name end), '')
            as hotel_brand,
        case when separator_at > 0 then nullif(trim(substr(hotel_name, separator_at + 3)), '') end
            as hotel_city,
        nights as nights_reported,
        cast(
            greatest(
                0,
                date_diff('day', cast(check_in_time as date), cast(check_out_time as date))
                + case when cast(check_out_time as time) > time '12:00:00' then 1 else 0 end
            )
            as integer
        ) as nights,
        rooms,
        check_in_time,
        check_out_time,
        hotel_per_room_usd
    from split_names
)

select * from final
