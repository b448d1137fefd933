-- One row per problem DuckDB found on a line of one bronze export in its latest scan,
-- copied from that export's rejects tables into bronze.rejects.
insert into bronze.rejects
with scans as (
    select max(scan_id) as scan_id
    from query_table($rejects_scan)
),

errors as (
    select errors.*
    from query_table($rejects_table) as errors
    inner join scans using (scan_id)
),

final as (
    select
        $table_name as table_name,
        $file as file,
        line,
        column_name,
        error_type || ': ' || error_message as reason,
        rtrim(csv_line, chr(13) || chr(10)) as raw_line
    from errors
)

select * from final
