-- One row per cohort user.
with user_segments as (
    select * from gold.user_segments
),

user_features as (
    select * from gold.user_features
),

users as (
    select * from silver.users
),

final as (
    select
        cast(s.user_id as integer) as user_id,
        cast(s.segment_id as integer) as segment_id,
        cast(s.segment_name as varchar) as segment_name,
        cast(s.perk as varchar) as perk,
        cast(s.perk_score as double) as perk_score,
        cast(s.runner_up_perk as varchar) as runner_up_perk,
        cast(s.offered_perk as varchar) as offered_perk,
        cast(s.offer_reason as varchar) as offer_reason,
        cast(s.experiment_group as varchar) as experiment_group,
        cast(s.score_free_checked_bag as double) as score_free_checked_bag,
        cast(s.score_no_cancellation_fees as double) as score_no_cancellation_fees,
        cast(s.score_exclusive_discounts as double) as score_exclusive_discounts,
        cast(s.score_free_hotel_night as double) as score_free_hotel_night,
        cast(f.total_sessions as bigint) as total_sessions,
        cast(f.cancellation_rate as double) as cancellation_rate,
        cast(f.discount_usage_rate as double) as discount_usage_rate,
        cast(f.total_nights as bigint) as total_nights,
        cast(f.total_checked_bags as bigint) as total_checked_bags,
        cast(f.total_base_fare as double) as total_base_fare,
        cast(f.booking_sessions as bigint) as booking_sessions,
        cast(f.booked_trips as bigint) as booked_trips,
        cast(f.cancelled_trips as bigint) as cancelled_trips,
        cast(f.booking_rate as double) as booking_rate,
        cast(f.conversion_rate as double) as conversion_rate,
        cast(f.flight_trips as bigint) as flight_trips,
        cast(f.hotel_trips as bigint) as hotel_trips,
        cast(f.bundle_rate as double) as bundle_rate,
        cast(f.bags_per_flight as double) as bags_per_flight,
        cast(f.nights_per_hotel_trip as double) as nights_per_hotel_trip,
        cast(f.avg_discount_amount as double) as avg_discount_amount,
        cast(f.avg_page_clicks as double) as avg_page_clicks,
        cast(f.avg_session_seconds as double) as avg_session_seconds,
        cast(f.total_hotel_spend_usd as double) as total_hotel_spend_usd,
        cast(u.sign_up_date as date) as sign_up_date,
        cast(u.home_country as varchar) as home_country,
        cast(u.home_city as varchar) as home_city,
        cast(u.home_airport as varchar) as home_airport,
        cast(u.home_airport_lat as double) as home_airport_lat,
        cast(u.home_airport_lon as double) as home_airport_lon,
        cast(u.gender as varchar) as gender,
        cast(u.age as integer) as age,
        cast(u.married as boolean) as married,
        cast(u.has_children as boolean) as has_children
    from user_segments as s
    left join user_features as f on s.user_id = f.user_id
    left join users as u on s.user_id = u.user_id
)

select * from final
