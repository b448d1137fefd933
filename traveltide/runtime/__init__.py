"""Process-level set-up of a run, kept apart from the pipeline: quiet and offline defaults, the
temporary Prefect server, background imports, the shared DuckDB connection settings."""
