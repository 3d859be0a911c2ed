"""BayRes schemas."""
