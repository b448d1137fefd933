-- One row per customer segment.
with segments as (
    select * from gold.segments
),

final as (
    select
        cast(segment_id as integer) as segment_id,
        cast(segment_name as varchar) as segment_name,
        cast(perk as varchar) as perk,
        cast(users as bigint) as users,
        cast(share as double) as share,
        cast(reason as varchar) as reason,
        cast(eligible_users as bigint) as eligible_users,
        cast(perks_not_offered as varchar) as perks_not_offered,
        cast(treatment_users as bigint) as treatment_users,
        cast(control_users as bigint) as control_users,
        cast(baseline_booking_rate as double) as baseline_booking_rate,
        cast(mde_booking_rate as double) as mde_booking_rate,
        cast(stability as double) as stability,
        cast(total_sessions as double) as mean_total_sessions,
        cast(cancellation_rate as double) as mean_cancellation_rate,
        cast(discount_usage_rate as double) as mean_discount_usage_rate,
        cast(total_nights as double) as mean_total_nights,
        cast(total_checked_bags as double) as mean_total_checked_bags,
        cast(total_base_fare as double) as mean_total_base_fare,
        cast(bags_per_flight as double) as mean_bags_per_flight,
        cast(avg_discount_amount as double) as mean_avg_discount_amount,
        cast(bundle_rate as double) as mean_bundle_rate,
        cast(nights_per_hotel_trip as double) as mean_nights_per_hotel_trip,
        cast(score_free_checked_bag as double) as mean_score_free_checked_bag,
        cast(score_no_cancellation_fees as double) as mean_score_no_cancellation_fees,
        cast(score_exclusive_discounts as double) as mean_score_exclusive_discounts,
        cast(score_free_hotel_night as double) as mean_score_free_hotel_night
    from segments
)

select * from final
