"""BayRes connectors."""
