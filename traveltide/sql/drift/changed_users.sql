-- One row per cohort user of both this run and the previous published one whose segment or
-- perk changed: the previous and the new segment and perk. $previous is the previous run's
-- gold/user_segments.parquet.
with

previous as (
    select
        user_id,
        segment_id,
        segment_name,
        perk
    from read_parquet($previous)
),

current_run as (
    select
        user_id,
        segment_id,
        segment_name,
        perk
    from gold.user_segments
),

final as (
    select
        current_run.user_id,
        previous.segment_id as previous_segment_id,
        previous.segment_name as previous_segment_name,
        previous.perk as previous_perk,
        current_run.segment_id,
        current_run.segment_name,
        current_run.perk
    from current_run
    inner join previous using (user_id)
    where
        current_run.segment_id is distinct from previous.segment_id
        or current_run.perk is distinct from previous.perk
        or current_run.segment_name is distinct from previous.segment_name
)

select * from final
order by user_id
