-- Users per segment id in the previous published run and in this one (0 where a segment is
-- absent from one of them), and how many cohort users the two runs share.
with

previous as (
    select
        segment_id,
        count(*) as users
    from read_parquet($previous)
    group by segment_id
),

current_run as (
    select
        segment_id,
        count(*) as users
    from gold.user_segments
    group by segment_id
),

returning_users as (
    select count(*) as users
    from gold.user_segments
    where user_id in (select user_id from read_parquet($previous))
),

final as (
    select
        segment_id,
        coalesce(previous.users, 0) as previous_users,
        coalesce(current_run.users, 0) as users,
        (select returning_users.users from returning_users) as returning_users
    from previous
    full outer join current_run using (segment_id)
)

select * from final
order by segment_id
