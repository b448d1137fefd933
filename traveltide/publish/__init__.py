"""Publish: the Tableau extract and everything beside it (data dictionary, .tds, Parquet layers,
report, manifest), built in a staging folder and moved into the exports folder atomically."""
