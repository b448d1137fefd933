-- One row per cohort user: a user with at least min_sessions sessions starting on or after
-- start_date (the window; a session starting exactly at start_date 00:00:00 counts).
with

sessions as (
    select user_id, session_start from silver.sessions
),

window_sessions as (
    select *
    from sessions
    where session_start >= cast($start_date as date)
),

per_user as (
    select
        user_id,
        count(*) as window_sessions,
        min(session_start) as first_window_session,
        max(session_start) as last_window_session
    from window_sessions
    group by user_id
),

final as (
    select
        user_id,
        cast(window_sessions as bigint) as window_sessions,
        first_window_session,
        last_window_session
    from per_user
    where window_sessions >= $min_sessions
)

select * from final
