"""Reports: KPIs, coverage, districts, open data."""
