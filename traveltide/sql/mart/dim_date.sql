-- One row per calendar day from the first to the last session day of fact_sessions.
with bounds as (
    select min(session_date) as first_day, max(session_date) as last_day
    from mart.fact_sessions
),

days as (
    select cast(d as date) as calendar_date
    from bounds, generate_series(first_day, last_day, interval 1 day) as g (d)
),

final as (
    select
        calendar_date,
        cast(year(calendar_date) as integer) as year,
        cast(quarter(calendar_date) as integer) as quarter,
        cast(month(calendar_date) as integer) as month,
        strftime(calendar_date, '%B') as month_name,
        strftime(calendar_date, '%Y-%m') as year_month,
        cast(weekofyear(calendar_date) as integer) as iso_week,
        cast(day(calendar_date) as integer) as day_of_month,
        cast(isodow(calendar_date) as integer) as day_of_week,
        strftime(calendar_date, '%A') as weekday_name,
        isodow(calendar_date) >= 6 as is_weekend
    from days
)

select * from final
