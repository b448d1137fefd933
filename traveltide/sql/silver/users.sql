-- One row per user (user_id unique and not NULL), typed, with age.
-- Rows without user_id are set aside; of rows sharing a user_id the first in column order
-- (NULLs last) is kept, so the choice does not depend on file order. Both are counted in
-- silver.set_aside. age is in whole years on the last session day of the data: the latest
-- session_start among sessions of users in this export.
with

source as (
    select * from bronze.users
),

sessions as (
    select session_start
    from bronze.sessions
    where
        session_id is not null
        and user_id in (select user_id from source)
),

reference_day as (
    select cast(max(session_start) as date) as last_session_day
    from sessions
),

keyed as (
    select *
    from source
    where user_id is not null
),

-- Only keys that occur more than once need the ordered pick (silver.users_exceptions holds the
-- kept row of each); the other rows, nearly all of them, pass straight through.
repeated as (
    select * exclude (bronze_rows, distinct_rows) from silver.users_exceptions
),

single_rows as (
    select keyed.*
    from keyed
    anti join repeated using (user_id)
),

deduplicated as (
    select * from single_rows
    union all
    select * from repeated
),

final as (
    select
        deduplicated.user_id,
        deduplicated.birthdate,
        deduplicated.gender,
        deduplicated.married,
        deduplicated.has_children,
        deduplicated.home_country,
        deduplicated.home_city,
        deduplicated.home_airport,
        deduplicated.home_airport_lat,
        deduplicated.home_airport_lon,
        deduplicated.sign_up_date,
        cast(
            year(reference_day.last_session_day) - year(deduplicated.birthdate)
            - case
                when
                    month(reference_day.last_session_day) * 100 + day(reference_day.last_session_day)
                    < month(deduplicated.birthdate) * 100 + day(deduplicated.birthdate)
                    then 1
                else 0
            end
            as integer
        ) as age
    from deduplicated
    cross join reference_day
)

select * from final
