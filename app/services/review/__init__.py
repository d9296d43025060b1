"""The analyst's review of install visits: one contract, two sources (laptop database, back office)."""
