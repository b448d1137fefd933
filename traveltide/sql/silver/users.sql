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
    where session_id is not null
        and user_id in (select user_id from source)
),

reference_day as (
    select max(session_start)::date as last_session_day
    from sessions
),

keyed as (
    select *
    from source
    where user_id is not null
),

-- Only keys that occur more than once need the ordered pick (a window sort over every column);
-- the other rows, nearly all of them, pass straight through: same result, a fraction of the work.
duplicated_keys as (
    select user_id
    from keyed
    group by user_id
    having count(*) > 1
),

single_rows as (
    select keyed.*
    from keyed
    anti join duplicated_keys using (user_id)
),

first_of_duplicates as (
    select keyed.*
    from keyed
    semi join duplicated_keys using (user_id)
    qualify row_number() over (
        partition by user_id
        order by
            birthdate, gender, married, has_children, home_country, home_city,
            home_airport, home_airport_lat, home_airport_lon, sign_up_date
    ) = 1
),

deduplicated as (
    select * from single_rows
    union all
    select * from first_of_duplicates
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
                when month(reference_day.last_session_day) * 100 + day(reference_day.last_session_day)
                    < month(deduplicated.birthdate) * 100 + day(deduplicated.birthdate)
                then 1 else 0
            end
            as integer
        ) as age
    from deduplicated
    cross join reference_day
)

select * from final
