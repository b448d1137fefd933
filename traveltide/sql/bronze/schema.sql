-- The bronze schema, emptied for a fresh load, and bronze.rejects:
-- one row per problem found on a source line that could not be loaded (a line can have several).
create schema if not exists bronze;
drop table if exists bronze.users;
drop table if exists bronze.sessions;
drop table if exists bronze.flights;
drop table if exists bronze.hotels;
create or replace table bronze.rejects (
    table_name varchar not null,   -- bronze table the line belongs to
    file varchar not null,         -- path of the source file
    line bigint,                   -- 1-based line number in the file (the header is line 1)
    column_name varchar,           -- column the problem was found in, if any
    reason varchar not null,       -- DuckDB's error type and message
    raw_line varchar               -- the line as read (several lines if a quote was left open)
);
