"""Stable golden identifiers: the registry that maps clusters to CSTR ids across runs.

The registry is a snapshot per run date in the lake (``registry/cstr_registry_member`` — the id
of every record — and ``registry/cstr_registry_id`` — every id ever issued, active or retired),
read as of the latest run date *before* the run's own, so re-running a day gives the same ids.
It lives in the lake rather than on the driver's disk so that the ``cluster`` profile keeps it
on HDFS beside the data it describes, with the same day-partition overwrite as every zone.

Rules (deterministic):

* every (cluster, previous id) pair is weighed by how many of the cluster's records carried that
  id; pairs are taken greedily by weight (ties: the oldest id, then the smallest id, then the
  smallest cluster key) and an id goes to at most one cluster, a cluster gets at most one id —
  so a cluster inherits the id of the plurality of its members, and a split keeps the id on the
  part holding most of the old cluster's records;
* a cluster left without an id gets a new one, ``stable_local_id(cluster_key)`` (the smallest
  record_id), re-hashed with a counter on the rare collision with any id ever issued; it is a
  ``split`` of the id most of its records had, or ``new`` if none had one;
* a previous id no cluster took is ``merged`` into the id of the cluster holding most of its
  records (recorded as its successor), or ``retired`` when none of its records is left.

Every id of the run, and every id the run retired, gets one row in ``cstr_change``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


import numpy as np
import pandas as pd

from bayres.schemas.resource import CSTR_CHANGE, REGISTRY_ID, REGISTRY_MEMBER

from ..conform.calibration.identifiers import stable_local_id


@dataclass
class Registry:
    members: pd.DataFrame   # REGISTRY_MEMBER: record_id, cstr_id
    ids: pd.DataFrame       # REGISTRY_ID: cstr_id, resource_type, status, successor_id, first/last_run_date, members

    @classmethod
    def empty(cls) -> "Registry":
        return cls(members=pd.DataFrame({c: pd.Series(dtype=object) for c in REGISTRY_MEMBER.names}),
                   ids=pd.DataFrame({c: pd.Series(dtype=object) for c in REGISTRY_ID.names}))


@dataclass
class Assignment:
    ids: pd.DataFrame       # cluster_key, cstr_id
    changes: pd.DataFrame   # CSTR_CHANGE rows
    registry: Registry      # the snapshot to keep for this run date


def previous_run_date(available: list[str], run_date: date) -> date | None:
    """The latest ``run_date=YYYY-MM-DD`` partition strictly before ``run_date``."""
    days = []
    for name in available:
        if name.startswith("run_date="):
            try:
                day = date.fromisoformat(name.split("=", 1)[1])
            except ValueError:
                continue
            if day < run_date:
                days.append(day)
    return max(days) if days else None


def _mint(keys: pd.Series, types: pd.Series, local_ids: pd.Series | None, agency: str,
          issued: set) -> pd.Series:
    """``CSTR:<agency>.<type>.<stable_local_id(cluster key)>``; on a clash with an id ever issued
    (or minted earlier in this run, in key order) the key is re-hashed with a counter."""
    if local_ids is None:
        local_ids = pd.Series([stable_local_id(k) for k in keys], index=keys.index, dtype=object)
    cstr = "CSTR:" + agency + "." + types.astype(str) + "." + local_ids.astype(str)
    clash = cstr.isin(issued) | cstr.duplicated()
    if clash.any():
        taken = set(issued) | set(cstr[~clash])
        for i in np.flatnonzero(clash.to_numpy()):
            n, candidate = 0, cstr.iloc[i]
            while candidate in taken:
                n += 1
                candidate = f"CSTR:{agency}.{types.iloc[i]}.{stable_local_id(keys.iloc[i], n)}"
            taken.add(candidate)
            cstr.iloc[i] = candidate
    return cstr


def _greedy(cand: pd.DataFrame) -> pd.DataFrame:
    """One id per cluster and one cluster per id, heaviest overlap first (``cand`` sorted)."""
    per_cluster = cand.groupby("cluster_key")["cstr_id"].transform("size")
    per_id = cand.groupby("cstr_id")["cluster_key"].transform("size")
    simple = (per_cluster == 1) & (per_id == 1)
    chosen = [cand.loc[simple, ["cluster_key", "cstr_id"]]]
    taken_c, taken_i, rows = set(), set(), []
    for key, cstr in zip(cand.loc[~simple, "cluster_key"], cand.loc[~simple, "cstr_id"]):
        if key not in taken_c and cstr not in taken_i:
            taken_c.add(key)
            taken_i.add(cstr)
            rows.append((key, cstr))
    chosen.append(pd.DataFrame(rows, columns=["cluster_key", "cstr_id"]))
    return pd.concat(chosen, ignore_index=True)


def assign(clusters: pd.DataFrame, cluster_types: pd.DataFrame, previous: Registry | None, *,
           agency: str, run_date: date) -> Assignment:
    """Ids for ``clusters`` (record_id, cluster_key — every record of the run) whose resource
    types are ``cluster_types`` (cluster_key, resource_type, optionally local_id: the
    engine's ``stable_local_id(cluster_key)``), given the ``previous`` registry."""
    previous = previous or Registry.empty()
    prev_ids = previous.ids.copy()
    prev_active = prev_ids[prev_ids["status"] == "active"]
    size = clusters.groupby("cluster_key").size().rename("members_after")  # sorted: minting order

    # overlap of each cluster with each previous id
    joined = clusters.merge(previous.members, on="record_id", how="inner")
    cand = joined.groupby(["cluster_key", "cstr_id"]).size().rename("overlap").reset_index()
    first = prev_active.set_index("cstr_id")["first_run_date"].astype(str)
    cand["first_run_date"] = cand["cstr_id"].map(first).fillna("9999-12-31")
    cand = cand.sort_values(["overlap", "first_run_date", "cstr_id", "cluster_key"],
                            ascending=[False, True, True, True], ignore_index=True)
    chosen = _greedy(cand)

    by_cluster = cluster_types.set_index("cluster_key")
    types = by_cluster["resource_type"]
    todo = size.index.difference(chosen["cluster_key"])  # sorted: minting order is deterministic
    issued = set(prev_ids["cstr_id"]) | set(chosen["cstr_id"])
    local = by_cluster["local_id"].reindex(todo).reset_index(drop=True) if "local_id" in by_cluster else None
    minted = pd.DataFrame({"cluster_key": todo})
    minted["cstr_id"] = _mint(minted["cluster_key"], types.reindex(todo).reset_index(drop=True),
                              local, agency, issued).to_numpy()
    ids = pd.concat([chosen, minted], ignore_index=True)

    changes = _changes(ids, chosen, minted, cand, size, types, prev_active, run_date)
    registry = _snapshot(clusters, ids, changes, prev_ids, types, size, run_date)
    return Assignment(ids=ids, changes=changes, registry=registry)


def _changes(ids, chosen, minted, cand, size, types, prev_active, run_date) -> pd.DataFrame:
    before = prev_active.set_index("cstr_id")["members"].astype("int64")
    id_of = ids.set_index("cluster_key")["cstr_id"]
    kept = pd.DataFrame({"cstr_id": chosen["cstr_id"], "change": "kept", "related_cstr_id": None,
                         "resource_type": chosen["cluster_key"].map(types).to_numpy(),
                         "members_before": chosen["cstr_id"].map(before).fillna(0).to_numpy(),
                         "members_after": chosen["cluster_key"].map(size).to_numpy()})
    # a minted cluster's plurality previous id (cand is sorted: first row per cluster wins)
    origin = cand.drop_duplicates("cluster_key").set_index("cluster_key")["cstr_id"]
    split_from = minted["cluster_key"].map(origin)
    issued = pd.DataFrame({"cstr_id": minted["cstr_id"],
                           "change": np.where(split_from.notna(), "split", "new"),
                           "related_cstr_id": split_from.to_numpy(),
                           "resource_type": minted["cluster_key"].map(types).to_numpy(),
                           "members_before": 0,
                           "members_after": minted["cluster_key"].map(size).to_numpy()})
    # previous ids no cluster took: merged where their records went, or retired
    gone = prev_active[~prev_active["cstr_id"].isin(chosen["cstr_id"])]
    where = cand.sort_values(["overlap", "cluster_key"], ascending=[False, True]) \
        .drop_duplicates("cstr_id").set_index("cstr_id")["cluster_key"]
    successor = gone["cstr_id"].map(where).map(id_of)
    ended = pd.DataFrame({"cstr_id": gone["cstr_id"].to_numpy(),
                          "change": np.where(successor.notna(), "merged", "retired"),
                          "related_cstr_id": successor.to_numpy(),
                          "resource_type": gone["resource_type"].to_numpy(),
                          "members_before": gone["members"].astype("int64").to_numpy(),
                          "members_after": 0})
    out = pd.concat([kept, issued, ended], ignore_index=True)
    out["related_cstr_id"] = out["related_cstr_id"].astype(object).where(out["related_cstr_id"].notna(), None)
    out["members_before"] = out["members_before"].astype("int64")
    out["members_after"] = out["members_after"].astype("int64")
    out["run_date"] = run_date
    return out[CSTR_CHANGE.names]


def _snapshot(clusters, ids, changes, prev_ids, types, size, run_date) -> Registry:
    members = clusters.merge(ids, on="cluster_key")[["record_id", "cstr_id"]]
    first = prev_ids.set_index("cstr_id")["first_run_date"]
    active = pd.DataFrame({"cstr_id": ids["cstr_id"],
                           "resource_type": ids["cluster_key"].map(types).to_numpy(),
                           "status": "active", "successor_id": None,
                           "first_run_date": ids["cstr_id"].map(first).fillna(run_date).to_numpy(),
                           "last_run_date": run_date,
                           "members": ids["cluster_key"].map(size).astype("int64").to_numpy()})
    ended = changes[changes["change"].isin(["merged", "retired"])].set_index("cstr_id")
    retired_now = prev_ids[prev_ids["cstr_id"].isin(ended.index)].assign(
        status="retired", successor_id=lambda d: d["cstr_id"].map(ended["related_cstr_id"]))
    retired_before = prev_ids[(prev_ids["status"] == "retired")]
    # empty parts are left out: concatenating them costs a check per row of the others
    table = pd.concat([active] + [p for p in (retired_now, retired_before) if len(p)], ignore_index=True)
    table["successor_id"] = table["successor_id"].astype(object).where(table["successor_id"].notna(), None)
    table["members"] = table["members"].astype("int64")
    for c in ("first_run_date", "last_run_date"):
        table[c] = pd.to_datetime(table[c]).dt.date
    return Registry(members=members, ids=table[REGISTRY_ID.names])
