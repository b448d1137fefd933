-- The bronze schema, emptied for a fresh load (bronze.sources and bronze.rejects are created
-- from their contract by the loader).
create schema if not exists bronze;
drop table if exists bronze.users;
drop table if exists bronze.sessions;
drop table if exists bronze.flights;
drop table if exists bronze.hotels;
