-- One row per source row and column whose value lies outside silver.plausible_bounds: the key,
-- the column, the value (as text), the bounds and what silver did. Sessions, flights and hotels
-- with such a value are set aside ('implausible value' in silver.set_aside) and so kept out of
-- gold and the features; users are kept with the value set to NULL (birthdate, home airport
-- and sign-up date feed no feature) and listed. Read from bronze, so a repeated row is listed once; conflicting rows of
-- one key with different implausible values list the lowest (as text).
with

outside as (
    select * from time_outside_bounds('bronze.users', 'users', user_id, 'birthdate', birthdate)
    union all
    select * from number_outside_bounds('bronze.users', 'users', user_id, 'home_airport_lat', home_airport_lat)
    union all
    select * from number_outside_bounds('bronze.users', 'users', user_id, 'home_airport_lon', home_airport_lon)
    union all
    select * from time_outside_bounds('bronze.users', 'users', user_id, 'sign_up_date', sign_up_date)
    union all
    select * from time_outside_bounds('bronze.sessions', 'sessions', session_id, 'session_start', session_start)
    union all
    select * from time_outside_bounds('bronze.sessions', 'sessions', session_id, 'session_end', session_end)
    union all
    select * from
        number_outside_bounds(
            'bronze.sessions', 'sessions', session_id, 'flight_discount_amount', flight_discount_amount
        )
    union all
    select * from
        number_outside_bounds(
            'bronze.sessions', 'sessions', session_id, 'hotel_discount_amount', hotel_discount_amount
        )
    union all
    select * from number_outside_bounds('bronze.sessions', 'sessions', session_id, 'page_clicks', page_clicks)
    union all
    select * from number_outside_bounds('bronze.flights', 'flights', trip_id, 'seats', seats)
    union all
    select * from time_outside_bounds('bronze.flights', 'flights', trip_id, 'departure_time', departure_time)
    union all
    select * from time_outside_bounds('bronze.flights', 'flights', trip_id, 'return_time', return_time)
    union all
    select * from number_outside_bounds('bronze.flights', 'flights', trip_id, 'checked_bags', checked_bags)
    union all
    select * from
        number_outside_bounds(
            'bronze.flights', 'flights', trip_id, 'destination_airport_lat', destination_airport_lat
        )
    union all
    select * from
        number_outside_bounds(
            'bronze.flights', 'flights', trip_id, 'destination_airport_lon', destination_airport_lon
        )
    union all
    select * from number_outside_bounds('bronze.flights', 'flights', trip_id, 'base_fare_usd', base_fare_usd)
    union all
    select * from number_outside_bounds('bronze.hotels', 'hotels', trip_id, 'nights', nights)
    union all
    select * from number_outside_bounds('bronze.hotels', 'hotels', trip_id, 'rooms', rooms)
    union all
    select * from time_outside_bounds('bronze.hotels', 'hotels', trip_id, 'check_in_time', check_in_time)
    union all
    select * from time_outside_bounds('bronze.hotels', 'hotels', trip_id, 'check_out_time', check_out_time)
    union all
    select * from number_outside_bounds('bronze.hotels', 'hotels', trip_id, 'hotel_per_room_usd', hotel_per_room_usd)
),

final as (
    select
        table_name,
        key_value,
        column_name,
        min(value) as value,
        any_value(low) as low,
        any_value(high) as high,
        if(table_name = 'users', 'set to NULL', 'row set aside') as action
    from outside
    group by table_name, key_value, column_name
)

select * from final
