"""Governance: per-audience masking of published data, from conf/governance/rules.yaml.

The tiers are declared in schemas/classification.py; the rules (audience × tier → action) in
``conf/governance/rules.yaml``.  :func:`apply` turns rows into what one audience may see and counts
what it did, so every publication (serving store per audience, Hive views, quarantine and review
exports) writes bytes that already hold the masked values — nothing is left to readers.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bayres.schemas.classification import FIELD_KIND, JURISDICTIONS, TIERS, jurisdiction_of, tier_of

from ..run.config import DEFAULT_CONF, ConfigError, env_value, load_yaml

log = logging.getLogger("bayres")

ACTIONS = ("show", "mask", "pseudonymise", "generalise", "withhold")
#: the development key of profiles with governance.dev_key_allowed (local only). NOT SECRET.
DEV_KEY = "bayres-local-development-key-NOT-SECRET"
#: E.164 country codes a masked phone keeps (leftmost first, as the Hive views' regex)
_COUNTRY_CODES = ("852", "853", "886", "86", "1", "44", "61", "65", "81", "82")


class GovernanceError(ValueError):
    """An unknown audience, an unclassified field or a missing key: nothing is published."""


@dataclass(frozen=True)
class Audience:
    name: str
    description: str
    jurisdiction: str | None
    tiers: dict[str, str]


@dataclass
class Rules:
    version: str
    audiences: dict[str, Audience]
    cross_border: list[dict]
    consent_field: str | None
    key_env: str
    path: str = ""
    #: set by rules_for: the key is read when a first pseudonym is needed (True: dev key allowed)
    allow_dev_key: bool | None = None
    _key: bytes | None = field(default=None, repr=False)

    def audience(self, name: str) -> Audience:
        try:
            return self.audiences[name]
        except KeyError:
            raise GovernanceError(f"{self.path}: unknown audience {name!r} (known: "
                                  f"{', '.join(self.audiences)}); refused") from None

    def action(self, audience: str, column: str, jurisdiction: str | None = None,
               consent: bool = False) -> str:
        """What ``audience`` gets of ``column`` for a record under ``jurisdiction``."""
        aud = self.audience(audience)
        tier = tier_of(column, f"governance ({audience})")
        act = aud.tiers[tier]
        if tier in ("personal", "sensitive_personal") and act != "withhold":
            for rule in self.cross_border:
                if (jurisdiction == rule["from"] and aud.jurisdiction in rule["to"]
                        and not (rule.get("unless_consent") and consent)):
                    act = rule.get("action", "withhold")
        return act

    def set_key(self, allow_dev_key: bool) -> None:
        key = env_value(self.key_env)
        if not key:
            if not allow_dev_key:
                raise GovernanceError(
                    f"{self.key_env} is not set (nor {self.key_env}_FILE): the pseudonymisation key "
                    f"is required to publish in this profile ({self.path})")
            log.warning("governance: %s unset, using the documented local development key "
                        "(NOT SECRET; pseudonyms are not protected)", self.key_env)
            key = DEV_KEY
        self._key = key.encode("utf-8")

    def pseudonym(self, value: Any) -> str:
        if self._key is None:
            if self.allow_dev_key is None:
                raise GovernanceError("pseudonymisation key not set (Rules.set_key)")
            self.set_key(self.allow_dev_key)  # needed now: a clear error if it is missing
        digest = hmac.new(self._key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
        return "ps_" + digest[:20]


def load_rules(conf_dir: Path | str | None = None, allow_dev_key: bool | None = None) -> Rules:
    """conf/governance/rules.yaml, checked. ``allow_dev_key``: None leaves the key unset (no
    pseudonyms); True/False sets it from the environment (falling back to :data:`DEV_KEY`)."""
    path = Path(conf_dir or DEFAULT_CONF) / "governance" / "rules.yaml"
    if not path.is_file():
        raise ConfigError(f"{path}: no governance rules")
    data = load_yaml(path)
    audiences = {}
    for name, spec in (data.get("audiences") or {}).items():
        tiers = dict(spec.get("tiers") or {})
        missing = [t for t in TIERS if t not in tiers]
        bad = {t: a for t, a in tiers.items() if a not in ACTIONS or t not in TIERS}
        if missing or bad:
            raise ConfigError(f"{path}: audience {name}: "
                              + (f"no action for tiers {missing}; " if missing else "")
                              + (f"unknown tier/action {bad} (actions: {ACTIONS})" if bad else ""))
        jur = spec.get("jurisdiction")
        if jur is not None and jur not in JURISDICTIONS:
            raise ConfigError(f"{path}: audience {name}: unknown jurisdiction {jur!r}")
        audiences[name] = Audience(name, str(spec.get("description", "")), jur, tiers)
    if not audiences:
        raise ConfigError(f"{path}: no audiences")
    for rule in data.get("cross_border") or []:
        if rule.get("from") not in JURISDICTIONS or any(j not in JURISDICTIONS for j in rule.get("to", [])):
            raise ConfigError(f"{path}: cross_border rule {rule}: unknown jurisdiction")
    rules = Rules(str(data.get("version") or ""), audiences, list(data.get("cross_border") or []),
                  data.get("consent_field"), str(data.get("pseudonym_key_env") or "BAYRES_GOVERNANCE_KEY"),
                  str(path))
    if not rules.version:
        raise ConfigError(f"{path}: no version")
    if allow_dev_key is not None:
        rules.set_key(allow_dev_key)
    return rules


def rules_for(ctx) -> Rules:
    """The rules of a run; the pseudonymisation key is read when a first pseudonym is needed
    (the development key only where the profile allows it), so a run that pseudonymises nothing
    needs none."""
    rules = load_rules(ctx.profile.conf_dir)
    rules.allow_dev_key = bool(ctx.profile.get("governance.dev_key_allowed"))
    return rules


# ---------------------------------------------------------------- value transforms
def mask_phone(v: str) -> str:
    digits = re.sub(r"[^0-9]", "", v)
    cc = next((c for c in _COUNTRY_CODES if v.strip().startswith("+") and digits.startswith(c)), "")
    rest = digits[len(cc):]
    return (f"+{cc} " if cc else "") + "****" + rest[-4:]


def mask_email(v: str) -> str:
    local, _, domain = v.partition("@")
    return (local[:1] + "***@" + domain) if domain else "***"


def mask_name(v: str) -> str:
    v = v.strip()
    return v[:1] + "*" * min(max(len(v) - 1, 1), 3)


def transform(rules: Rules, action: str, column: str, value: Any) -> Any:
    """The published form of one non-null value."""
    if action == "show":
        return value
    if action == "withhold":
        return None
    kind = FIELD_KIND.get(column, "date" if re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", str(value)) else "")
    s = str(value)
    if action == "pseudonymise":
        return rules.pseudonym(s)
    if action == "mask":
        return {"phone": mask_phone, "email": mask_email, "name": mask_name,
                "identifier": lambda x: "****" + x[-4:]}.get(kind, lambda x: None)(s)
    if action == "generalise":
        if kind == "date":
            return s[:4]
        if kind == "phone":
            return mask_phone(s).split(" ")[0] if s.startswith("+") else None
        if kind == "email":
            return "@" + s.partition("@")[2] if "@" in s else None
        return None
    raise GovernanceError(f"unknown action {action!r}")


COUNTED = ("masked", "pseudonymised", "generalised", "withheld")
_COUNT_OF = {"mask": "masked", "pseudonymise": "pseudonymised", "generalise": "generalised",
             "withhold": "withheld"}


#: where a row's jurisdiction is read from, first non-empty value wins (jurisdiction_of)
_REGION_COLUMNS = ("region", "REGION")
_PLATFORM_COLUMNS = ("src_platform", "SRC_PLATFORM", "source_platforms", "SOURCE_PLATFORMS")


def _row_jurisdiction(row: dict) -> str | None:
    return jurisdiction_of(next((row.get(c) for c in _REGION_COLUMNS if row.get(c)), None),
                           next((row.get(c) for c in _PLATFORM_COLUMNS if row.get(c)), None))


@dataclass(frozen=True)
class _Column:
    """What one audience gets of one column: ``base`` (its tier's action) unless a cross-border
    rule in ``crossing`` applies to the row (personal tiers only, :meth:`Rules.action`)."""
    name: str
    base: str
    crossing: tuple = ()

    def action(self, jurisdiction: str | None, consent: bool) -> str:
        act = self.base
        for rule in self.crossing:
            if jurisdiction == rule["from"] and not (rule.get("unless_consent") and consent):
                act = rule.get("action", "withhold")
        return act


def _plan(rules: Rules, audience: str, columns: list[str]) -> list[_Column]:
    """Per column, its action for ``audience`` (every column must have a tier)."""
    aud = rules.audience(audience)
    crossing = tuple(r for r in rules.cross_border if aud.jurisdiction in r["to"])
    plan = []
    for c in columns:
        tier = tier_of(c.lower(), f"governance ({audience})")
        base = aud.tiers[tier]
        personal = tier in ("personal", "sensitive_personal") and base != "withhold"
        plan.append(_Column(c, base, crossing if personal else ()))
    return plan


def _consent_column(rules: Rules, columns: list[str]) -> str | None:
    return next((c for c in columns if rules.consent_field and c.lower() == rules.consent_field), None)


def _counted(counts: dict | None) -> dict:
    counts = counts if counts is not None else {}
    for k in COUNTED:
        counts.setdefault(k, 0)
    return counts


def apply_rows(rules: Rules, audience: str, rows: list[dict], columns: list[str],
               counts: dict | None = None) -> list[dict]:
    """``rows`` (dicts keyed by ``columns``; lower- or upper-case field names) as ``audience``
    may see them. Every column must have a tier. ``counts`` accumulates values per action."""
    plan = _plan(rules, audience, columns)
    counts = _counted(counts)
    per_row = any(col.crossing for col in plan)
    consent_col = _consent_column(rules, columns)
    out = []
    for row in rows:
        jur = _row_jurisdiction(row) if per_row else None
        consent = bool(row.get(consent_col)) if consent_col else False
        new = {}
        for col in plan:
            v = row.get(col.name)
            act = col.action(jur, consent) if col.crossing else col.base
            if v is None or act == "show":
                new[col.name] = v
                continue
            nv = None if act == "withhold" else transform(rules, act, col.name.lower(), v)
            counts[_COUNT_OF["withhold" if nv is None else act]] += 1
            new[col.name] = nv
        out.append(new)
    return out


def apply_frame(rules: Rules, audience: str, df, counts: dict | None = None):
    """A pandas DataFrame as ``audience`` may see it: the same result and counts as
    :func:`apply_rows` on its rows, computed column by column (a column the audience may see
    whole is passed through untouched, dtype kept; a rewritten one transforms each distinct
    value once), so a serving table of a million rows costs seconds, not a loop over every cell."""
    import pandas as pd

    columns = list(df.columns)
    plan = _plan(rules, audience, columns)
    counts = _counted(counts)

    def values(c):
        return df[c].astype(object).where(df[c].notna(), None).tolist()

    jur = consent = None
    if any(col.crossing for col in plan) and len(df):
        # per row, as _row_jurisdiction: the region, else the (first) source platform
        regions = [values(c) for c in _REGION_COLUMNS if c in df.columns]
        platforms = [values(c) for c in _PLATFORM_COLUMNS if c in df.columns]
        known: dict = {}
        jur = []
        for i in range(len(df)):
            key = (next((v[i] for v in regions if v[i]), None), next((v[i] for v in platforms if v[i]), None))
            if key not in known:
                known[key] = jurisdiction_of(*key)
            jur.append(known[key])
        consent_col = _consent_column(rules, columns)
        consent = [bool(v) for v in values(consent_col)] if consent_col else [False] * len(df)
    out = {}
    for col in plan:
        if col.base == "show" and not col.crossing:
            out[col.name] = df[col.name]
            continue
        if col.base == "withhold":              # no rule can show more than its tier allows
            counts["withheld"] += int(df[col.name].notna().sum())
            out[col.name] = pd.Series([None] * len(df), index=df.index, dtype=object)
            continue
        done: dict = {}
        new = []
        for i, v in enumerate(values(col.name)):
            act = col.action(jur[i], consent[i]) if col.crossing else col.base
            if v is None or act == "show":
                new.append(v)
                continue
            try:
                nv = done[(act, v)]
            except KeyError:
                nv = done[(act, v)] = transform(rules, act, col.name.lower(), v)
            except TypeError:                   # an unhashable value: transformed as it is
                nv = transform(rules, act, col.name.lower(), v)
            counts[_COUNT_OF["withhold" if nv is None else act]] += 1
            new.append(nv)
        out[col.name] = pd.Series(new, index=df.index, dtype=object).infer_objects()
    return pd.DataFrame(out, columns=columns, index=df.index)


def published_types(table_columns: list[tuple[str, str]], rules: Rules, audience: str) -> list[tuple[str, str]]:
    """Column types of an audience's copy: a column some action rewrites as text is VARCHAR."""
    res = []
    for col, typ in table_columns:
        acts = {rules.audience(audience).tiers[tier_of(col.lower())]}
        res.append((col, typ if acts <= {"show", "withhold"} else "VARCHAR"))
    return res


# ---------------------------------------------------------------- the tier matrix and the audit
def tier_matrix(rules: Rules) -> dict:
    """Per classified field: its tier and, per audience, the action of its tier (before any
    cross-border rule, which can only withhold more)."""
    from bayres.schemas.classification import FIELD_TIERS

    return {f: {"tier": t, "audiences": {a.name: a.tiers[t] for a in rules.audiences.values()}}
            for f, t in sorted(FIELD_TIERS.items())}


def audit_record(ctx, rules: Rules, serving: dict, target: str) -> list[dict]:
    """One row per audience × published table: what went where, under which rule version."""
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    rows = []
    for audience, res in (serving.get("audiences") or {}).items():
        for table, n in res["rows"].items():
            rows.append({"run_id": ctx.run_id, "audience": audience, "target": target,
                         "published_table": table, "location": res["store"], "rows": int(n),
                         "rule_version": rules.version, "published_at": now,
                         **{k: int(res.get(k, 0)) for k in COUNTED}})
    return rows


def _runs_with_audit(reports_root: Path) -> list[Path]:
    return sorted((p for p in Path(reports_root).glob("*/governance.json")),
                  key=lambda p: p.stat().st_mtime)


def write_audit(ctx, rules: Rules, rows: list[dict], exports: list[dict] | None = None) -> Path:
    """``reports/<run id>/governance.json``: the rule version, the tier matrix, what each
    audience was published (and counted), the steward exports of the run."""
    import json

    out = ctx.profile.path("reports.root") / ctx.run_id / "governance.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    per_audience: dict = {}
    for r in rows:
        a = per_audience.setdefault(r["audience"], {"rows": 0, **{k: 0 for k in COUNTED}})
        for k in ("rows", *COUNTED):
            a[k] += r[k]
    out.write_text(json.dumps({"run_id": ctx.run_id, "run_date": ctx.run_date.isoformat(),
                               "rule_version": rules.version, "rules": rules.path,
                               "matrix": tier_matrix(rules), "per_audience": per_audience,
                               "publications": rows, "exports": exports or []},
                              ensure_ascii=False, indent=1, default=str), "utf-8")
    return out


def log_export(ctx, rules: Rules, kind: str, path: str, rows: int, audience: str = "steward",
               counts: dict | None = None) -> dict:
    """A steward export (review queue, quarantine extract): appended to
    ``reports/<run id>/governance_exports.jsonl`` and returned for the run's audit."""
    import json
    from datetime import datetime, timezone

    entry = {"run_id": ctx.run_id, "kind": kind, "path": str(path), "rows": int(rows),
             "audience": audience, "rule_version": rules.version,
             "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **(counts or {})}
    out = ctx.profile.path("reports.root") / ctx.run_id / "governance_exports.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return entry


# ---------------------------------------------------------------- verification by reading back
def verify_serving(rules: Rules, full_store: Path, audience_dir: Path) -> dict:
    """Read every audience's own store (its own DuckDB file, read-only) and check, field by
    field, that nothing above its tier is visible: where its rule is not ``show`` the value must
    not be the original (withhold: NULL; mask: has ``*``; pseudonymise: ``ps_…``), and no
    original value it may not see appears in any column of any of its tables."""
    import duckdb

    from bayres.connectors.serving_duckdb import audience_path

    violations: list[str] = []
    checked: set = set()
    with duckdb.connect(str(full_store), read_only=True) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                            "WHERE table_schema = 'main'").fetchall()]
        full = {t: con.execute(f"SELECT * FROM {t}").fetchdf() for t in tables}
    for audience in rules.audiences:
        path = audience_path(audience_dir, audience)
        if not path.is_file():
            violations.append(f"{audience}: no store at {path}")
            continue
        with duckdb.connect(str(path), read_only=True) as con:
            seen = {t: con.execute(f"SELECT * FROM {t}").fetchdf() for t in tables}
        forbidden: dict[str, str] = {}
        shown: set = set()
        for t in tables:
            raw = full[t].astype(object).where(full[t].notna(), None).to_dict("records")
            pub = seen[t].astype(object).where(seen[t].notna(), None).to_dict("records")
            from bayres.schemas.derive_hbase import SERVING_TABLES_BY_NAME, qualifier

            keys = [qualifier(f) for f in SERVING_TABLES_BY_NAME[t].key]
            pub_by_key = {tuple(r[k] for k in keys): r for r in pub}
            if len(pub) != len(raw):
                violations.append(f"{audience}/{t}: {len(pub)} rows published, {len(raw)} in the run")
            for r in raw:
                p = pub_by_key.get(tuple(r[k] for k in keys))
                if p is None:
                    violations.append(f"{audience}/{t}: row {[r[k] for k in keys]} not published")
                    p = {}
                jur = _row_jurisdiction(r)
                consent = bool(r.get((rules.consent_field or "").upper())) if rules.consent_field else False
                for c, v in r.items():
                    checked.add((audience, c.lower()))
                    act = rules.action(audience, c.lower(), jur, consent)
                    got = p.get(c)
                    if act == "show" or v is None:
                        if v is not None and isinstance(v, str):
                            shown.add(v)
                        continue
                    where = f"{audience}/{t}.{c} ({act}, row {[r[k] for k in keys]})"
                    if got is not None and str(got) == str(v):
                        violations.append(f"{where}: the original value is visible")
                    elif act == "withhold" and got is not None:
                        violations.append(f"{where}: withheld but has a value")
                    elif act == "mask" and got is not None and "*" not in str(got):
                        violations.append(f"{where}: not masked: {got!r}")
                    elif act == "pseudonymise" and got is not None and not str(got).startswith("ps_"):
                        violations.append(f"{where}: not a pseudonym: {got!r}")
                    if isinstance(v, str) and len(v) >= 4:
                        forbidden.setdefault(v, where)
        # no forbidden original anywhere in what the audience can read (any table, any column)
        leaked = set()
        for t in tables:
            for col in seen[t].columns:
                for v in seen[t][col].dropna().astype(str):
                    if v in forbidden and v not in shown and v not in leaked:
                        leaked.add(v)
                        violations.append(f"{audience}/{t}.{col}: carries a value it may not see "
                                          f"(from {forbidden[v]})")
    return {"audiences_checked": len(rules.audiences), "fields_checked": len(checked),
            "violations": len(violations), "violation_details": violations[:50]}


def report(profile, rules: Rules | None = None) -> dict:
    """`bayres governance report`: the tier × audience matrix, what each audience's own store
    returns checked against it, and what changed since the previous run's audit."""
    import json

    rules = rules or load_rules(profile.conf_dir)
    out: dict = {"rule_version": rules.version, "rules": rules.path,
                 "audiences": {a.name: {"description": a.description, "jurisdiction": a.jurisdiction,
                                        "tiers": a.tiers} for a in rules.audiences.values()},
                 "matrix": tier_matrix(rules)}
    if profile.get("serving.kind") == "duckdb" and profile.get("serving.audience_dir") \
            and profile.path("serving.path").is_file():
        out.update(verify_serving(rules, profile.path("serving.path"),
                                  profile.path("serving.audience_dir")))
    else:
        out.update({"fields_checked": 0, "violations": None,
                    "note": "no local serving store to read back (run the pipeline first)"})
    runs = _runs_with_audit(profile.path("reports.root"))
    if runs:
        last = json.loads(runs[-1].read_text("utf-8"))
        out["last_run"] = {"run_id": last["run_id"], "rule_version": last["rule_version"],
                           "per_audience": last["per_audience"]}
        changes = []
        if len(runs) > 1:
            prev = json.loads(runs[-2].read_text("utf-8"))
            if prev["rule_version"] != last["rule_version"]:
                changes.append(f"rule version {prev['rule_version']} -> {last['rule_version']}")
            for f in sorted(set(prev["matrix"]) | set(last["matrix"])):
                a, b = prev["matrix"].get(f), last["matrix"].get(f)
                if a != b:
                    changes.append(f"{f}: {a} -> {b}")
            for aud in sorted(set(prev["per_audience"]) | set(last["per_audience"])):
                a, b = prev["per_audience"].get(aud) or {}, last["per_audience"].get(aud) or {}
                diff = {k: b.get(k, 0) - a.get(k, 0) for k in ("rows", *COUNTED)
                        if b.get(k, 0) != a.get(k, 0)}
                if diff:
                    changes.append(f"{aud}: " + ", ".join(f"{k} {v:+d}" for k, v in diff.items()))
            out["previous_run"] = prev["run_id"]
        # also: the rules now vs the last run's
        now = tier_matrix(rules)
        changes += [f"{f}: {last['matrix'].get(f)} -> {now.get(f)} (rules changed since the last run)"
                    for f in sorted(set(now) | set(last["matrix"])) if now.get(f) != last["matrix"].get(f)]
        out["changes_since_last_run"] = changes
    return out


# ---------------------------------------------------------------- per-audience Hive views
def _sql_jurisdiction(columns: set[str]) -> str:
    """The SQL of a row's jurisdiction, as :func:`bayres.schemas.classification.jurisdiction_of`."""
    plat = ("CASE WHEN lower({c}) LIKE 'hk%' THEN 'hk' WHEN lower({c}) LIKE 'mo%' THEN 'mo' "
            "WHEN lower({c}) LIKE 'gz%' OR lower({c}) LIKE 'sz%' THEN 'mainland' END")
    by_platform = next((plat.format(c=c) for c in ("src_platform", "source_platforms") if c in columns),
                       "CAST(NULL AS STRING)")
    if "region" in columns:
        return ("CASE WHEN upper(region) = 'HK' THEN 'hk' WHEN upper(region) = 'MO' THEN 'mo' "
                f"WHEN region IS NOT NULL THEN 'mainland' ELSE {by_platform} END")
    return by_platform


def _sql_transform(rules: Rules, action: str, column: str, hive_type: str) -> str:
    c = f"`{column}`"
    null = f"CAST(NULL AS {hive_type})"
    kind = FIELD_KIND.get(column, "date" if hive_type == "DATE" else "")
    if action == "show":
        return c
    if action == "withhold" or action == "pseudonymise":
        # a keyed hash cannot be computed in a view without showing its key to the view's
        # readers: pseudonyms are published in the serving store only; Hive withholds
        return null
    if action == "mask":
        cc = "|".join(_COUNTRY_CODES)
        expr = {
            "phone": (f"concat(CASE WHEN {c} RLIKE '^[+]({cc})' THEN concat(regexp_extract({c}, "
                      f"'^[+]({cc})', 0), ' ') ELSE '' END, '****', "
                      f"substr(regexp_replace({c}, '[^0-9]', ''), -4))"),
            "email": (f"CASE WHEN {c} LIKE '%@%' THEN concat(substr({c}, 1, 1), '***@', "
                      f"substring_index({c}, '@', -1)) ELSE '***' END"),
            "name": (f"concat(substr(trim({c}), 1, 1), repeat('*', least(greatest(length(trim({c})) - 1, 1), 3)))"),
            "identifier": f"concat('****', substr({c}, -4))",
        }.get(kind)
    elif action == "generalise":
        expr = {"date": f"substr(CAST({c} AS STRING), 1, 4)",
                "email": f"CASE WHEN {c} LIKE '%@%' THEN concat('@', substring_index({c}, '@', -1)) END",
                }.get(kind)
    else:
        raise GovernanceError(f"unknown action {action!r}")
    if expr is None:
        return null
    return f"CASE WHEN {c} IS NULL THEN NULL ELSE {expr} END"


def hive_view_sql(rules: Rules, audience: str, table, source_db: str, view_db: str) -> str:
    """``CREATE OR REPLACE VIEW <view_db>.<table>`` over ``<source_db>.<table>``: every declared
    column as ``audience`` may see it (types change to STRING where a mask rewrites them)."""
    from bayres.schemas.derive_hive import ordered_fields

    aud = rules.audience(audience)
    fields = ordered_fields(table)
    names = {f.name for f in fields}
    jur = _sql_jurisdiction(names)
    consent = (f"coalesce(`{rules.consent_field}`, false)"
               if rules.consent_field and rules.consent_field in names else "false")
    cols = []
    for f in fields:
        tier = tier_of(f.name, f"{table.name} ({audience})")
        act = aud.tiers[tier]
        expr = _sql_transform(rules, act, f.name, f.hive_type)
        if tier in ("personal", "sensitive_personal") and act != "withhold":
            for rule in rules.cross_border:
                if aud.jurisdiction in rule["to"]:
                    keep = f"({jur}) IS NULL OR ({jur}) <> '{rule['from']}'"
                    if rule.get("unless_consent"):
                        keep += f" OR {consent}"
                    expr = f"CASE WHEN {keep} THEN {expr} END"
        cols.append(f"{expr} AS `{f.name}`")
    return (f"CREATE OR REPLACE VIEW {view_db}.{table.name} AS SELECT\n  "
            + ",\n  ".join(cols) + f"\nFROM {source_db}.{table.name}")


def view_database(source_db: str, audience: str) -> str:
    return f"{source_db}_{audience}"


def publish_hive_views(spark, rules: Rules, source_db: str, tables) -> dict:
    """Per audience a database ``<db>_<audience>`` of views over the curated tables."""
    out = {}
    for audience in rules.audiences:
        vdb = view_database(source_db, audience)
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {vdb}")
        for t in tables:
            spark.sql(hive_view_sql(rules, audience, t, source_db, vdb))
        out[audience] = {"database": vdb, "views": [t.name for t in tables]}
    return out


def publish_audit(ctx, spark, serving: dict, hive_views: dict | None) -> dict:
    """The run's governance audit: Hive table governance_publication and
    ``reports/<run id>/governance.json``; returns what the run report shows."""
    from bayres.schemas.resource import GOVERNANCE_PUBLICATION

    from . import load

    from datetime import datetime, timezone

    rules = rules_for(ctx)
    rows = audit_record(ctx, rules, serving, "serving")
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    for audience, v in (hive_views or {}).items():
        for view in v["views"]:
            rows.append({"run_id": ctx.run_id, "audience": audience, "target": "hive",
                         "published_table": view, "location": v["database"], "rows": 0,
                         "rule_version": rules.version, "published_at": now,
                         **{k: 0 for k in COUNTED}})
    exports = []
    exports_log = ctx.profile.path("reports.root") / ctx.run_id / "governance_exports.jsonl"
    if exports_log.is_file():
        import json

        exports = [json.loads(line) for line in exports_log.read_text("utf-8").splitlines() if line]
    path = write_audit(ctx, rules, rows, exports)
    if spark is not None and rows:
        from pyspark.sql import functions as F

        db = str(ctx.profile.get("spark.hive_database") or "bayres")
        frame = spark.createDataFrame(rows, schema=", ".join(
            f"{f.name} {f.spark_type}" for f in GOVERNANCE_PUBLICATION.fields if f.name != "run_date"))
        frame = frame.withColumn("run_date", F.lit(ctx.run_date.isoformat()).cast("date"))
        load.to_hive(spark, frame, GOVERNANCE_PUBLICATION, db, ctx.run_date)
    import json

    per_audience = json.loads(path.read_text("utf-8"))["per_audience"] if path.is_file() else {}
    return {"rule_version": rules.version, "audit": str(path), "per_audience": per_audience,
            "exports": len(exports)}
