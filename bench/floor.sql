-- One row per data line of one bronze export, typed by the bronze contract: the I/O floor.
-- The same explicit types as the toolkit's bronze load, without its rejects bookkeeping.
with

source as (
    select *
    from read_csv(
        $path,
        columns = $columns,
        header = true,
        auto_detect = false,
        delim = ',',
        quote = '"',
        escape = '"'
    )
),

final as (
    select * from source
)

select * from final
