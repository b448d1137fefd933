-- One row per user of the run's campaign (its gold.user_segments, read from $groups): their
-- group and what they did in the later export's evaluation period (gold.user_features built
-- from $evaluate_from with min_sessions 1). A user with no session in the period has
-- returned = false and NULL behaviour: a rate of nothing is not 0.
with

campaign as (
    select
        user_id,
        segment_id,
        segment_name,
        perk,
        experiment_group
    from read_parquet($groups)
),

later as (
    select * from gold.user_features
),

final as (
    select
        campaign.user_id,
        campaign.segment_id,
        campaign.segment_name,
        campaign.perk,
        campaign.experiment_group,
        later.user_id is not null as returned,
        later.total_sessions,
        later.conversion_rate,
        later.total_checked_bags,
        later.cancellation_rate,
        later.discount_usage_rate,
        later.total_nights
    from campaign
    left join later using (user_id)
)

select * from final
order by user_id
