-- One row per bronze table with rejected lines: how many source lines were set aside,
-- counting every physical line a rejected record spans (an open quote can swallow several).
with rejects as (
    select * from bronze.rejects
),

records as (
    select
        table_name,
        line,
        max(coalesce(length(raw_line) - length(replace(raw_line, chr(10), '')) + 1, 1)) as spanned_lines
    from rejects
    group by table_name, line
),

final as (
    select
        table_name,
        count(*) as rejected_records,
        cast(sum(spanned_lines) as bigint) as rejected_lines,
        list(line order by line) filter (where spanned_lines > 1) as multi_line_records
    from records
    group by table_name
)

select * from final
