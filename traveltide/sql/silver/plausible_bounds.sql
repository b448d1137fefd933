-- One row per numeric or date column of the exports: the values silver accepts, and why.
-- Bounds leave room around what the real TravelTide data holds (the basis) and catch what no
-- real booking can be: a fare of 1e15, 2e9 page clicks, a 1970 epoch or year-9999 placeholder.
-- A session, flight or hotel row with a value outside is set aside ('implausible value') and
-- kept out of the features; a user is kept with the value set to NULL (demographics feed no
-- feature, and an age of 223 must not reach the extract).
-- Both are listed in silver.implausible_values. kind 'number' bounds are compared as DOUBLE,
-- kind 'time' bounds as TIMESTAMP (the upper bound excluded); low and high are text.
with

bounds (table_name, column_name, kind, low, high, basis) as (
    values
    ('users', 'birthdate', 'time', '1900-01-01', '2100-01-01', 'real cohort: 1935-05-10 to 2006-12-28'),
    ('users', 'home_airport_lat', 'number', '-90', '90', 'a latitude; real: 21.3 to 61.3'),
    ('users', 'home_airport_lon', 'number', '-180', '180', 'a longitude; real: -157.9 to -63.5'),
    ('users', 'sign_up_date', 'time', '2000-01-01', '2100-01-01', 'real: 2021-07-22 to 2023-05-18'),
    ('sessions', 'session_start', 'time', '2000-01-01', '2100-01-01', 'real: 2021-04-01 to 2023-07-28'),
    ('sessions', 'session_end', 'time', '2000-01-01', '2100-01-01', 'real: 2021-04-01 to 2023-07-28'),
    ('sessions', 'flight_discount_amount', 'number', '0', '1', 'a fraction of the fare; real: 0.05 to 0.60'),
    ('sessions', 'hotel_discount_amount', 'number', '0', '1', 'a fraction of the price; real: 0.05 to 0.55'),
    ('sessions', 'page_clicks', 'number', '0', '10000', 'real: 1 to 263; 10,000 clicks at 7.4 s are 20 hours'),
    ('flights', 'seats', 'number', '0', '20', 'real: 0 to 8'),
    ('flights', 'departure_time', 'time', '2000-01-01', '2100-01-01', 'real: 2022-03-02 to 2024-07-16'),
    ('flights', 'return_time', 'time', '2000-01-01', '2100-01-01', 'real: 2022-03-05 to 2024-07-29'),
    ('flights', 'checked_bags', 'number', '0', '20', 'real: 0 to 8'),
    ('flights', 'destination_airport_lat', 'number', '-90', '90', 'a latitude; real: -37.0 to 56.0'),
    ('flights', 'destination_airport_lon', 'number', '-180', '180', 'a longitude; real: -157.9 to 174.8'),
    ('flights', 'base_fare_usd', 'number', '0', '100000', 'all seats, both legs; real: 0 to 17,691'),
    ('hotels', 'nights', 'number', '-7', '365', 'the source''s count (recomputed in silver); real: -2 to 44'),
    ('hotels', 'rooms', 'number', '1', '20', 'real: 1 to 4'),
    ('hotels', 'check_in_time', 'time', '2000-01-01', '2100-01-01', 'real: 2023-01-08 to 2024-07-17'),
    ('hotels', 'check_out_time', 'time', '2000-01-01', '2100-01-01', 'real: 2023-01-10 to 2024-07-29'),
    ('hotels', 'hotel_per_room_usd', 'number', '0', '10000', 'per room and night; real: 17 to 1,377')
),

final as (
    select * from bounds
)

select * from final
