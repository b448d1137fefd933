-- One row per source line and reason a run did not take the line as it is: the lines bronze
-- could not parse (every problem DuckDB found on the line, in one reason) and the lines of the
-- keys silver set aside (rejects_set_aside, looked up in the files by traveltide/publish/rejects.py).
-- Sorted by table, file and line, so the file reads like the exports.
with

unparsed as (
    select
        table_name,
        file,
        line,
        'does not parse: ' || string_agg(
            coalesce('column ' || column_name || ': ', '') || reason, '; ' order by column_name
        ) as reason,
        cast(null as varchar) as key_value,
        any_value(raw_line) as raw_line
    from bronze.rejects
    group by table_name, file, line
),

final as (
    select * from unparsed
    union all
    select * from rejects_set_aside
)

select * from final
order by table_name, file, line, reason
