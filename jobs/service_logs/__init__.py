"""Service logs — the platforms' access logs, collected and measured.

Enters: the platforms' service logs of a day (nginx, JSON lines, Apache formats).
Leaves: the landed logs, exactly once (collector: an Apache Flume agent + idempotent landing),
and per platform and day the service statistics (stats: availability, requests, error rate,
latency, users, satisfaction), malformed lines with their reasons.
Writes: the raw zone ``raw/logs/<platform>/<date>/`` and the service-statistics tables.
"""
