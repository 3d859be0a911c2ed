"""Stage 5 — publish: golden records out to the people and systems that read them.

Enters: the curated zone and the quality stage's verdict; conf/governance/ (audiences, masking).
Leaves: Hive tables for analysts and the serving stores for the portals, one per audience
(governance: masking at publication, audit), only if no critical expectation failed.
Writes: the warehouse (Hive ``bayres.*`` tables), ``serving/`` (DuckDB / HBase + Phoenix).
"""
