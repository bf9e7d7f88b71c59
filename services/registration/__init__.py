"""registration: units (with their registration audit), companies, experts and the pool."""
