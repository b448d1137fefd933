-- One row per session of a cohort user in the window (session_start >= start_date).
with

sessions as (
    select * from silver.sessions
),

cohort as (
    select user_id from gold.cohort
),

final as (
    select sessions.*
    from sessions
    where
        sessions.session_start >= cast($start_date as date)
        and sessions.user_id in (select user_id from cohort)
)

select * from final
