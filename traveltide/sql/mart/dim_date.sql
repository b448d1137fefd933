-- One row per calendar day from the star's first to its last date (sessions, sign-ups, trips, stays).
-- The dates: session days, sign-up dates, departures, returns, check-ins and check-outs, so a date
-- field of any table finds its day.
with star_dates as (
    select session_date as d from mart.fact_sessions
    union all
    select sign_up_date from mart.dim_users
    union all
    select cast(departure_time as date) from mart.dim_trips
    union all
    select cast(return_time as date) from mart.dim_trips
    union all
    select cast(check_in_time as date) from mart.dim_trips
    union all
    select cast(check_out_time as date) from mart.dim_trips
),

bounds as (
    select min(d) as first_day, max(d) as last_day
    from star_dates
),

-- unnest in the select list, not generate_series as a joined table function: the form SQLGlot
-- transpiles to Spark SQL faithfully (EXPLODE(SEQUENCE(...))), see docs/scaling.md.
days as (
    select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as calendar_date
    from bounds
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
