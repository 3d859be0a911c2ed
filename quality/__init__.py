"""BayRes quality: Great Expectations suites derived from the schema, validation, scores.

Importing the package switches GX's usage analytics off unless the environment says otherwise.
"""
import os

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
