"""BayRes jobs/generate."""
