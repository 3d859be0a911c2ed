"""Clusters of records: connected components over the links, with a guard against giant clusters.

The graph's nodes are records and shared exact keys; its edges are

* record — key: the record carries the key (kind ``strong_id``, ``name_key`` or ``name_en``, from
  the key's prefix; see jobs/dedup/match_keys.py) — a key shared by n records costs n edges, not n²;
* record — record: an accepted probabilistic pair (``probabilistic``, with its probability) or a
  data steward's *match* decision (``review``).

A steward's *no match* removes the direct link between the two records whatever made it: their
probabilistic pair is dropped, and a key they share is expanded into record — record edges
between its records except the refused pair (the two may still meet through other records; the
count of such pairs is reported).

Guard: a component with more than ``max_cluster_size`` records is split deterministically by the
drop steps of conf/linkage/clusters.yaml, applied in order and only inside components still too
large (e.g. probabilistic edges below a higher bar, then all probabilistic edges, then English
name keys, then Simplified name keys); strong-id and review edges are never dropped. A part still
too large after every step is kept as it is and sent to review. Every giant component is reported
with the action taken.

The output is one row per linked record: its cluster (``cluster_key`` = smallest record_id of
the cluster) and its match rule — the most certain kind among its remaining edges
(strong_id > review > name_key > probabilistic), ``singleton`` when nothing links it any more.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

#: edge kinds, most certain first; the rule a record's lineage row gets for each
KINDS = ("strong_id", "review", "name_key", "name_en", "probabilistic")
RULE = {"strong_id": "strong_id", "review": "review", "name_key": "name_key",
        "name_en": "name_key", "probabilistic": "probabilistic"}
NEVER_DROPPED = {"strong_id", "review"}
_KIND_CODE = {k: i for i, k in enumerate(KINDS)}

DEFAULT_GUARD = {"max_cluster_size": 50,
                 "drop": [{"kind": "probabilistic", "below": 0.999}, {"kind": "probabilistic"},
                          {"kind": "name_en"}, {"kind": "name_key"}]}


@dataclass
class Clustering:
    #: record_id, cluster_key, match_rule, cluster_size — every record that had an edge
    membership: pd.DataFrame
    #: one dict per component above the guard: cluster, size, action, dropped, parts, largest_part
    giant_clusters: list = field(default_factory=list)
    #: record_ids of parts still above the guard after every drop step (sent to review)
    review_records: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"cluster_key": [], "record_id": []}))
    stats: dict = field(default_factory=dict)


def guard_steps(guard: dict) -> tuple[int, list[dict]]:
    """(max size, drop steps) of a guard configuration, checked."""
    guard = {**DEFAULT_GUARD, **(guard or {})}
    steps = list(guard.get("drop") or [])
    for step in steps:
        kind = step.get("kind")
        if kind not in KINDS or kind in NEVER_DROPPED:
            raise ValueError(f"clusters guard: cannot drop edges of kind {kind!r} "
                             f"(droppable: {', '.join(k for k in KINDS if k not in NEVER_DROPPED)})")
    return int(guard["max_cluster_size"]), steps


def _key_kind(keys: pd.DataFrame) -> np.ndarray:
    if "kind" in keys:  # computed by the engine (jobs/dedup/match_keys.py linking_sql)
        return keys["kind"].to_numpy()
    prefix = keys["key"].str.slice(0, 3)
    kind = np.where(keys["strong"].astype(bool), "strong_id",
                    np.where(prefix == "en:", "name_en", "name_key"))
    return kind


def _pairs(frame: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["record_id_l", "record_id_r"]
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    left, right = frame["record_id_l"].astype(str), frame["record_id_r"].astype(str)
    swap = (left > right).to_numpy()
    return frame.assign(record_id_l=left.where(~swap, right), record_id_r=right.where(~swap, left))


def _expand_refused_keys(keys: pd.DataFrame, refused: pd.DataFrame):
    """Keys shared by a refused pair → (keys without them, record—record edges of their records
    minus the refused pairs)."""
    edges = pd.DataFrame({"a": [], "b": [], "kind": []})
    if refused.empty or keys.empty:
        return keys, edges
    pair_set = set(zip(refused["record_id_l"], refused["record_id_r"]))
    involved = keys[keys["record_id"].isin(set(refused["record_id_l"]) | set(refused["record_id_r"]))]
    by_record = involved.groupby("record_id")["key"].apply(set)
    hit = set()
    for left, right in pair_set:
        if left in by_record.index and right in by_record.index:
            hit |= by_record[left] & by_record[right]
    if not hit:
        return keys, edges
    expanded = keys[keys["key"].isin(hit)]
    rows = []
    for key, group in expanded.groupby("key", sort=True):
        members = sorted(group["record_id"])
        kind = group["kind"].iloc[0]
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if (a, b) not in pair_set:
                    rows.append((a, b, kind))
    edges = pd.DataFrame(rows, columns=["a", "b", "kind"])
    return keys[~keys["key"].isin(hit)], edges


def cluster(keys: pd.DataFrame, pairs: pd.DataFrame | None = None,
            decisions: pd.DataFrame | None = None, guard: dict | None = None) -> Clustering:
    """Cluster the records linked by ``keys`` (record_id, key, strong — the linking keys),
    accepted probabilistic ``pairs`` (record_id_l, record_id_r, match_probability) and steward
    ``decisions`` (record_id_l, record_id_r, decision = match | no_match)."""
    max_size, steps = guard_steps(guard)
    keys = keys.assign(kind=_key_kind(keys))[["record_id", "key", "strong", "kind"]]
    pairs = _pairs(pairs)
    decisions = _pairs(decisions if decisions is not None else
                       pd.DataFrame({"record_id_l": [], "record_id_r": [], "decision": []}))
    refused = decisions[decisions["decision"] == "no_match"] if len(decisions) else decisions
    matched = decisions[decisions["decision"] == "match"] if len(decisions) else decisions

    # a steward's no-match removes the direct link, whatever made it
    if len(refused) and len(pairs):
        refused_idx = pd.MultiIndex.from_frame(refused[["record_id_l", "record_id_r"]])
        pairs = pairs[~pd.MultiIndex.from_frame(pairs[["record_id_l", "record_id_r"]]).isin(refused_idx)]
    keys, expanded = _expand_refused_keys(keys, refused)

    pair_edges = pd.concat([
        pd.DataFrame({"a": pairs["record_id_l"], "b": pairs["record_id_r"], "kind": "probabilistic",
                      "p": pairs["match_probability"].astype(float) if len(pairs) else []}),
        pd.DataFrame({"a": matched["record_id_l"], "b": matched["record_id_r"], "kind": "review",
                      "p": 1.0}),
        expanded.assign(p=np.nan),
    ], ignore_index=True)

    # ---- nodes: records first, then keys
    # sorted: a record's code is its rank, so the smallest code of a cluster is its smallest id
    rec_codes, rec_ids = pd.factorize(pd.concat([keys["record_id"], pair_edges["a"], pair_edges["b"]],
                                                ignore_index=True), sort=True)
    n_rec = len(rec_ids)
    if n_rec == 0:
        return Clustering(membership=pd.DataFrame({"record_id": [], "cluster_key": [],
                                                   "match_rule": [], "cluster_size": []}))
    key_codes, key_ids = pd.factorize(keys["key"])
    nk = len(keys)
    src = np.concatenate([rec_codes[:nk], rec_codes[nk:nk + len(pair_edges)]])
    dst = np.concatenate([key_codes + n_rec, rec_codes[nk + len(pair_edges):]])
    kind = np.concatenate([keys["kind"].map(_KIND_CODE).to_numpy(np.int8),
                           pair_edges["kind"].map(_KIND_CODE).to_numpy(np.int8)])
    prob = np.concatenate([np.full(nk, np.nan), pair_edges["p"].to_numpy(float)])
    n = n_rec + len(key_ids)
    alive = np.ones(len(src), dtype=bool)

    def components() -> np.ndarray:
        graph = coo_matrix((np.ones(int(alive.sum()), dtype=np.int8), (src[alive], dst[alive])),
                           shape=(n, n))
        return connected_components(graph, directed=False)[1]

    def record_sizes(labels: np.ndarray) -> np.ndarray:
        return np.bincount(labels[:n_rec], minlength=n)

    labels = components()
    original = labels[:n_rec].copy()
    giant_labels = np.flatnonzero(record_sizes(labels) > max_size)
    dropped_by_label: dict[int, list[str]] = {int(g): [] for g in giant_labels}
    for step in steps:
        sizes = record_sizes(labels)
        too_big = sizes[labels[src]] > max_size
        if not too_big.any():
            break
        target = too_big & alive & (kind == _KIND_CODE[step["kind"]])
        if "below" in step:
            target &= prob < float(step["below"])
        if not target.any():
            continue
        for g in np.unique(original[src[target]]):  # src is always a record node
            dropped_by_label[int(g)].append(_describe(step))
        alive &= ~target
        labels = components()

    # ---- output
    rec_labels = labels[:n_rec]
    first_label, first_code = np.unique(rec_labels, return_index=True)  # codes ascend with ids
    smallest = np.empty(n, dtype=np.int64)
    smallest[first_label] = first_code
    size = np.bincount(rec_labels, minlength=n)[rec_labels]
    out = pd.DataFrame({"record_id": rec_ids, "label": rec_labels, "original": original,
                        "cluster_key": np.asarray(rec_ids, dtype=object)[smallest[rec_labels]],
                        "cluster_size": size.astype(np.int64)})
    best = np.full(n_rec, len(KINDS), dtype=np.int16)
    np.minimum.at(best, src[alive], kind[alive])
    pair_alive = alive & (dst < n_rec)
    np.minimum.at(best, dst[pair_alive], kind[pair_alive])
    rule = pd.Series(np.array([RULE[k] for k in KINDS] + ["singleton"], dtype=object)[best])
    out["match_rule"] = rule.where(size > 1, "singleton").to_numpy()

    giant, review = _giant_report(out, giant_labels, dropped_by_label, max_size)
    stats = {"records_linked": n_rec, "edges": int(len(src)), "edges_dropped_by_guard":
             int((~alive).sum()), "refused_pairs": int(len(refused)),
             "refused_pairs_still_together": _still_together(out, refused),
             "matched_pairs": int(len(matched))}
    return Clustering(membership=out[["record_id", "cluster_key", "match_rule", "cluster_size"]],
                      giant_clusters=giant, review_records=review, stats=stats)


def _describe(step: dict) -> str:
    return f"{step['kind']} < {step['below']}" if "below" in step else step["kind"]


def _giant_report(out: pd.DataFrame, giant_labels, dropped_by_label, max_size):
    reports, review = [], []
    giant = out[np.isin(out["original"].to_numpy(), giant_labels)]
    for g, part in giant.groupby("original", sort=False):
        parts = part.groupby("cluster_key").size()
        too_big = parts[parts > max_size]
        action = "review" if len(too_big) else "split"
        reports.append({"cluster": part["record_id"].min(), "size": int(len(part)), "action": action,
                        "dropped": dropped_by_label.get(int(g), []), "parts": int(len(parts)),
                        "largest_part": int(parts.max())})
        for key in too_big.index:
            review.append(part.loc[part["cluster_key"] == key, ["cluster_key", "record_id"]])
    reports.sort(key=lambda r: (-r["size"], r["cluster"]))
    review = pd.concat(review, ignore_index=True) if review else \
        pd.DataFrame({"cluster_key": [], "record_id": []})
    return reports, review.sort_values(["cluster_key", "record_id"], ignore_index=True)


def _still_together(out: pd.DataFrame, refused: pd.DataFrame) -> int:
    if refused.empty:
        return 0
    where = out.set_index("record_id")["cluster_key"]
    left = refused["record_id_l"].map(where)
    right = refused["record_id_r"].map(where)
    return int((left.notna() & (left == right)).sum())
