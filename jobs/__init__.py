"""BayRes jobs."""
