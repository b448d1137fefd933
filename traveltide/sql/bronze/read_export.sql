-- One row per data line of one bronze export that parses into the contract's types.
-- Types come from $columns (every file column in file order, names from the contract);
-- lines that do not parse are kept in the rejects tables named by $rejects_table / $rejects_scan.
with source as (
    select *
    from read_csv(
        $path,
        columns = $columns,
        compression = $compression,
        header = true,
        auto_detect = false,
        delim = ',',
        quote = '"',
        escape = '"',
        encoding = 'utf-8',
        null_padding = false,
        store_rejects = true,
        rejects_table = $rejects_table,
        rejects_scan = $rejects_scan
    )
),

final as (
    select * from source
)

select * from final
