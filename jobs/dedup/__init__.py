"""Stage 4 — dedup: records of the same resource linked, clustered, merged into golden records.

Enters: the standardized zone, conf/linkage/ (exact keys, Splink models, clusters, survivorship)
and the data stewards' decisions from the review queue.
Leaves: links (match_keys: exact; linkage: probabilistic), clusters, golden records by
survivorship, stable CSTR ids (id_registry), lineage edges, the pairs a steward should review;
run on DuckDB or Spark (engine); evaluate measures the accuracy against a ground truth.
Writes: the curated zone (``curated/``), the registry (``registry/``), the review queue
(``linkage/review/``).
"""
