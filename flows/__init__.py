"""Prefect flows of TravelTide Mart (thin wiring over ``traveltide.pipeline``)."""
