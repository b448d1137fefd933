-- One row per user (user_id unique and not NULL), typed, with age.
-- Rows without user_id are set aside; of rows sharing a user_id the first in column order
-- (NULLs last) is kept, so the choice does not depend on file order. Both are counted in
-- silver.set_aside. age is in whole years on the last session day of the data: the latest
-- session_start among sessions of users in this export. A value outside silver.plausible_bounds
-- (a birthdate of 1800, a latitude of 400) is set to NULL, the user kept, and listed in
-- silver.implausible_values: demographics feed no feature, and an age of 223 must not reach
-- the extract.
with

source as (
    select * from bronze.users
),

-- A session set aside for an implausible value (a start in 2100) must not move the day.
sessions as (
    select session_start
    from bronze.sessions
    where
        session_id is not null
        and user_id in (select user_id from source)
        and session_id not in (
            select key_value from silver.implausible_values
            where table_name = 'sessions'
        )
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

implausible as (
    select
        cast(key_value as integer) as user_id,
        list(column_name) as columns_outside
    from silver.implausible_values
    where table_name = 'users'
    group by key_value
),

plausible as (
    select
        deduplicated.* replace (
            if(list_contains(columns_outside, 'birthdate'), null, birthdate) as birthdate,
            if(list_contains(columns_outside, 'home_airport_lat'), null, home_airport_lat) as home_airport_lat,
            if(list_contains(columns_outside, 'home_airport_lon'), null, home_airport_lon) as home_airport_lon,
            if(list_contains(columns_outside, 'sign_up_date'), null, sign_up_date) as sign_up_date
        )
    from deduplicated
    left join implausible using (user_id)
),

final as (
    select
        plausible.user_id,
        plausible.birthdate,
        plausible.gender,
        plausible.married,
        plausible.has_children,
        plausible.home_country,
        plausible.home_city,
        plausible.home_airport,
        plausible.home_airport_lat,
        plausible.home_airport_lon,
        plausible.sign_up_date,
        cast(
            year(reference_day.last_session_day) - year(plausible.birthdate)
            - case
                when
                    month(reference_day.last_session_day) * 100 + day(reference_day.last_session_day)
                    < month(plausible.birthdate) * 100 + day(plausible.birthdate)
                    then 1
                else 0
            end
            as integer
        ) as age
    from plausible
    cross join reference_day
)

select * from final
