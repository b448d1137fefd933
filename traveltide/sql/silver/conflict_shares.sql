-- One row per source table: its rows, the rows set aside as conflicting versions of a key, their
-- share, and the run's conflict_tolerance setting. A share above the tolerance stops the run
-- (the silver.conflict_shares suite): that many conflicts mean a broken export, not join copies.
with

sources as (
    select table_name, file from bronze.sources
),

keyed_rows as (
    select 'users' as table_name, count(user_id) as bronze_rows from bronze.users
    union all
    select 'sessions' as table_name, count(session_id) as bronze_rows from bronze.sessions
    union all
    select 'flights' as table_name, count(trip_id) as bronze_rows from bronze.flights
    union all
    select 'hotels' as table_name, count(trip_id) as bronze_rows from bronze.hotels
),

conflicting as (
    select table_name, rows as conflicting_rows
    from silver.set_aside
    where reason = 'conflicting row'
),

final as (
    select
        sources.table_name,
        sources.file,
        cast(keyed_rows.bronze_rows as bigint) as bronze_rows,
        cast(conflicting.conflicting_rows as bigint) as conflicting_rows,
        coalesce(cast(conflicting.conflicting_rows as double) / nullif(keyed_rows.bronze_rows, 0), 0)
            as conflict_share,
        cast($conflict_tolerance as double) as conflict_tolerance
    from sources
    inner join keyed_rows using (table_name)
    inner join conflicting using (table_name)
)

select * from final
