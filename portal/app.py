"""The portal service: FastAPI over the published catalogue (``bayres serve``).

JSON API under ``/api/v1`` (OpenAPI document at ``/openapi.json``, docs at ``/docs``):

* ``GET /api/v1/search?q=…`` — cross-script search (portal/index.py) with filters, facets and
  cursor paging;
* ``GET /api/v1/records/{cstr_id}`` — a golden record with its source records, the source of each
  field, its CSTR history and (instruments) its sharing terms; a merged id answers 301 to its
  successor, a retired one 410;
* ``GET /api/v1/stats/cube|cross-border|instrument-value`` — precomputed statistics;
* ``GET /api/v1/health``.

The catalogue page (server-rendered HTML, every value escaped by Jinja2's autoescape): ``/`` and
``/record/{cstr_id}``.

Audiences: a request without ``X-API-Key`` is the public audience; a key maps to its audience
by conf/portal/service.yaml; the fields an audience may not see are removed from every answer.
Every request is logged as one JSON line (``portal.request_log``).
"""
from __future__ import annotations

import hmac
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import yaml
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, Field

from . import index
from .reader import CatalogueReader

log = logging.getLogger("bayres.portal")

CSTR_ID = re.compile(r"^CSTR:[A-Za-z0-9]{5}\.[0-9]{2}\.[A-Za-z0-9._-]{1,64}$")
CODE = r"^[A-Za-z0-9_-]{1,32}$"
ISO_DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
#: fields of the record page's sharing terms (instruments)
SHARING_TERMS = ("sharing_mode", "inst_sharing_status", "rights", "access_url", "inst_location")


# ---------------------------------------------------------------- configuration
@dataclass(frozen=True)
class Audience:
    name: str
    keys: tuple[str, ...] = ()
    withheld: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def hidden(self, resource_type: str | None) -> set[str]:
        return set(self.withheld.get("*", ())) | set(self.withheld.get(resource_type or "", ()))


@dataclass(frozen=True)
class ServiceConfig:
    index_path: Path
    request_log: Path | None
    audiences: dict[str, Audience]
    #: the governance rules (jobs/publish/governance.Rules) the audiences come from
    governance: object = None
    default_page_size: int = 20
    max_page_size: int = 100
    max_query_length: int = 200

    @classmethod
    def load(cls, path: Path | str, *, index_path: Path | str, request_log: Path | str | None,
             env: dict[str, str] | None = None, governance=None,
             allow_dev_key: bool = False) -> ServiceConfig:
        """``governance``: the rules (jobs/publish/governance.Rules; default: those of the conf
        directory service.yaml lives in). Each audience must be a governance audience; the fields
        it may not see are those its governance tier rules withhold (masked fields come masked
        from its own serving store, portal/reader.py)."""
        from bayres.jobs.publish.governance import load_rules
        from bayres.schemas.classification import FIELD_TIERS

        env = os.environ if env is None else env
        conf = yaml.safe_load(Path(path).read_text("utf-8")) or {}
        # the pseudonymisation key is needed when the service governs a full store itself
        # (jobs/publish/governance.py: BAYRES_GOVERNANCE_KEY; the dev key only where allowed)
        rules = governance or load_rules(Path(path).resolve().parent.parent,
                                         allow_dev_key=allow_dev_key)
        audiences = {}
        for name, spec in (conf.get("audiences") or {}).items():
            if name not in rules.audiences:
                raise ValueError(f"{path}: audience {name!r} is not a governance audience "
                                 f"({rules.path}: {', '.join(rules.audiences)}); refused")
            if (spec or {}).get("withheld"):
                raise ValueError(f"{path}: audience {name}: 'withheld' is no longer read — the "
                                 f"governance rules ({rules.path}) decide what it sees")
            spec = spec or {}
            keys: list[str] = []
            if spec.get("key_env"):
                var = spec["key_env"]
                raw = env.get(var)
                if raw is None and env.get(var + "_FILE"):
                    raw = Path(env[var + "_FILE"]).read_text("utf-8")
                keys = [k.strip() for k in (raw or "").split(",") if k.strip()]
            tiers = rules.audiences[name].tiers
            withheld = {"*": tuple(f for f, t in sorted(FIELD_TIERS.items()) if tiers[t] == "withhold")}
            audiences[name] = Audience(name, tuple(keys), withheld)
        if "public" not in audiences:
            raise ValueError(f"{path}: no 'public' audience (the audience of requests without a key)")
        limits = conf.get("limits") or {}
        return cls(index_path=Path(index_path), request_log=Path(request_log) if request_log else None,
                   audiences=audiences, governance=rules,
                   default_page_size=int(limits.get("default_page_size", 20)),
                   max_page_size=int(limits.get("max_page_size", 100)),
                   max_query_length=int(limits.get("max_query_length", 200)))

    def audience_of(self, key: str | None) -> Audience:
        if not key:
            return self.audiences["public"]
        for aud in self.audiences.values():
            if any(hmac.compare_digest(key.encode(), k.encode()) for k in aud.keys):
                return aud
        raise HTTPException(401, "unknown API key (X-API-Key)")


# ---------------------------------------------------------------- response models (OpenAPI)
class FacetValue(BaseModel):
    value: str | None
    count: int


class SearchHit(BaseModel):
    cstr_id: str
    name: str | None
    name_en: str | None
    name_pt: str | None
    resource_type: str | None
    region: str | None
    owner_org: str | None
    sharing_mode: str | None
    updated_date: str | None
    source_platforms: str | None
    match: Literal["identifier", "exact_name", "acronym", "full_text"]
    score: float


class SearchResponse(BaseModel):
    q: str
    total: int = Field(description="records matching the query and the filters")
    results: list[SearchHit]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")
    facets: dict[str, list[FacetValue]]


class SourceRecord(BaseModel):
    record_id: str
    src_platform: str | None
    src_source: str | None
    src_record_id: str | None
    name: str | None
    match_rule: str | None
    is_survivor: bool | None
    run_date: str | None


class IdChange(BaseModel):
    cstr_id: str
    change: str | None
    related_cstr_id: str | None
    resource_type: str | None
    members_before: int | None
    members_after: int | None
    run_date: str | None


class IdStatus(BaseModel):
    cstr_id: str
    status: str | None
    successor_id: str | None
    first_run_date: str | None
    last_run_date: str | None
    members: int | None


class RecordResponse(BaseModel):
    cstr_id: str
    audience: str
    record: dict[str, Any] = Field(description="the golden record's fields (lower-case names); "
                                               "fields withheld from the audience are absent")
    field_sources: dict[str, str] = Field(description="field → record_id its value came from")
    source_records: list[SourceRecord]
    identifier: IdStatus | None
    history: list[IdChange]
    sharing_terms: dict[str, Any] | None = Field(description="instruments: how they are shared")
    withheld_fields: list[str]


class CubeRow(BaseModel):
    resource_type: str | None = None
    region: str | None = None
    platform: str | None = None
    year: int | None = None
    records: int
    instrument_value_cny: float
    project_amount_cny: float


class CrossBorderRow(BaseModel):
    platforms: str
    resource_type: str | None
    records: int
    source_records: int


class InstrumentValueRow(BaseModel):
    region: str | None
    instruments: int
    valued: int
    value_cny: float


class Health(BaseModel):
    status: str
    records: int
    run_date: str | None
    built_at: str | None


class Problem(BaseModel):
    detail: str


ERRORS = {400: {"model": Problem}, 401: {"model": Problem}, 422: {"model": Problem}}


# ---------------------------------------------------------------- the application
def create_app(config: ServiceConfig, reader: CatalogueReader) -> FastAPI:
    app = FastAPI(title="BayRes portal", version="1",
                  description="Read API over the BayRes catalogue of Greater Bay Area S&T resources: "
                              "cross-script search, record pages with provenance, statistics.")
    app.state.config, app.state.reader = config, reader

    class _Governed:
        """One reader over the full store (tests, a store published without audiences): the
        service applies the audience's governance rules to every row itself."""

        def __init__(self, aud: Audience):
            self.aud = aud

        def _apply(self, rows: list[dict]) -> list[dict]:
            from bayres.jobs.publish.governance import apply_rows

            rules = config.governance
            if rules is None:
                raise HTTPException(503, "no governance rules: nothing is served")
            cols = sorted({c for r in rows for c in r})
            return apply_rows(rules, self.aud.name, rows, cols)

        def resource(self, cstr_id):
            row = reader.resource(cstr_id)
            return None if row is None else self._apply([row])[0]

        def lineage(self, cstr_id):
            return self._apply(reader.lineage(cstr_id))

    def reader_of(aud: Audience):
        """The audience's own governed store (a dict of readers per audience); or the one full
        reader, governed here."""
        if isinstance(reader, dict):
            try:
                return reader[aud.name]
            except KeyError:
                raise HTTPException(403, f"no published data for audience {aud.name}") from None
        return _Governed(aud)
    templates = Environment(loader=PackageLoader("bayres.portal", "templates"),
                            autoescape=select_autoescape(default=True, default_for_string=True))
    log_lock = threading.Lock()

    def open_index():
        try:
            return index.connect(config.index_path)
        except FileNotFoundError as e:
            raise HTTPException(503, str(e)) from None

    # ------------------------------------------------------------ errors and the request log
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            parts.append(f"{where}: {err.get('msg')}")
        return JSONResponse({"detail": "invalid request: " + "; ".join(parts)}, status_code=422)

    @app.exception_handler(index.QueryError)
    async def bad_query(request: Request, exc: index.QueryError):
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.middleware("http")
    async def request_log(request: Request, call_next):
        started = time.perf_counter()
        request.state.audience = None
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            if config.request_log is not None:
                line = {"ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                        "method": request.method, "path": request.url.path,
                        "query": str(request.url.query)[:1000], "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "audience": request.state.audience,
                        "client": request.client.host if request.client else None,
                        "results": getattr(request.state, "results", None)}
                with log_lock:
                    config.request_log.parent.mkdir(parents=True, exist_ok=True)
                    with config.request_log.open("a", encoding="utf-8") as fh:
                        fh.write(json.dumps(line, ensure_ascii=False) + "\n")

    def audience(request: Request) -> Audience:
        aud = config.audience_of(request.headers.get("x-api-key"))
        request.state.audience = aud.name
        return aud

    def check_q(q: str | None, name: str = "q") -> str:
        q = q or ""
        if len(q) > config.max_query_length:
            raise HTTPException(422, f"{name}: longer than {config.max_query_length} characters")
        if any(ord(c) < 32 and c not in "\t" for c in q):
            raise HTTPException(422, f"{name}: control characters are not allowed")
        return q

    def do_search(request, q, resource_type, region, owner, sharing_mode, updated_from, updated_to,
                  limit, cursor):
        aud = audience(request)
        q = check_q(q)
        owner = check_q(owner, "owner") or None
        limit = limit or config.default_page_size
        if limit > config.max_page_size:
            raise HTTPException(422, f"limit: at most {config.max_page_size}")
        filters = index.Filters(resource_type, region, owner, sharing_mode, updated_from, updated_to)
        con = open_index()
        try:
            out = index.search(con, q, filters, limit=limit, cursor=cursor)
        finally:
            con.close()
        request.state.results = out["total"]
        return aud, out

    # ------------------------------------------------------------ API
    @app.get("/api/v1/search", response_model=SearchResponse, responses=ERRORS, tags=["search"],
             summary="Search the catalogue in any script or language")
    def search(request: Request,
               q: str = Query("", description="query text: a name in Simplified or Traditional Chinese, "
                              "English, Portuguese, an acronym, a romanised name or an identifier"),
               resource_type: str | None = Query(None, pattern=r"^[0-9]{2}$"),
               region: str | None = Query(None, pattern=CODE),
               owner: str | None = Query(None, description="owning organisation (any script)"),
               sharing_mode: str | None = Query(None, pattern=CODE),
               updated_from: str | None = Query(None, pattern=ISO_DATE),
               updated_to: str | None = Query(None, pattern=ISO_DATE),
               limit: int | None = Query(None, ge=1, description="page size (bounded)"),
               cursor: str | None = Query(None, max_length=512, pattern=r"^[A-Za-z0-9_-]+$")):
        _, out = do_search(request, q, resource_type, region, owner, sharing_mode, updated_from,
                           updated_to, limit, cursor)
        return out

    @app.get("/api/v1/records/{cstr_id}", response_model=RecordResponse, tags=["records"],
             responses={**ERRORS, 301: {"description": "a merged id: Location is its successor"},
                        404: {"model": Problem}, 410: {"model": Problem}},
             summary="A golden record with its provenance")
    def record(request: Request, cstr_id: str):
        aud = audience(request)
        page = record_page(cstr_id, aud)
        if isinstance(page, str):
            return RedirectResponse(f"/api/v1/records/{page}", status_code=301)
        return page

    def record_page(cstr_id: str, aud: Audience) -> dict | str:
        if not CSTR_ID.match(cstr_id):
            raise HTTPException(422, "cstr_id: not a CSTR identifier (CSTR:<agency>.<type>.<id>)")
        con = open_index()
        try:
            status = index.id_status(con, cstr_id)
            hist = index.history(con, cstr_id)
            if status and status["status"] != "active" or (status is None and not index.has_doc(con, cstr_id)):
                nxt = index.successor(con, cstr_id)
                if nxt:
                    return nxt
                if status:
                    raise HTTPException(410, f"{cstr_id} was retired on {status.get('last_run_date')}: "
                                             "no record carries it on")
                raise HTTPException(404, f"no record {cstr_id}")
        finally:
            con.close()
        reader = reader_of(aud)
        row = reader.resource(cstr_id)
        if row is None:
            raise HTTPException(404, f"no record {cstr_id}")
        hidden = aud.hidden(row.get("resource_type"))
        try:
            sources = json.loads(row.get("field_sources") or "{}")
        except ValueError:
            sources = {}
        fields = {k: v for k, v in row.items()
                  if v is not None and k not in hidden and k != "field_sources"}
        lineage = reader.lineage(cstr_id)
        terms = ({k: row.get(k) for k in SHARING_TERMS if k not in hidden}
                 if row.get("resource_type") == index.INSTRUMENT else None)
        return {"cstr_id": cstr_id, "audience": aud.name, "record": jsonable_encoder(fields),
                "field_sources": {k: str(v) for k, v in sources.items() if k not in hidden},
                "source_records": lineage, "identifier": status, "history": hist,
                "sharing_terms": terms, "withheld_fields": sorted(hidden & set(row))}

    @app.get("/api/v1/stats/cube", response_model=list[CubeRow], responses=ERRORS, tags=["statistics"],
             summary="Records and CNY sums by type × region × platform × year")
    def cube(request: Request,
             by: str = Query("resource_type,region", pattern=r"^[a-z_,]{0,64}$",
                             description="comma-separated dimensions: resource_type, region, platform, year")):
        audience(request)
        con = open_index()
        try:
            return index.stats_cube(con, [b for b in by.split(",") if b])
        finally:
            con.close()

    @app.get("/api/v1/stats/cross-border", response_model=list[CrossBorderRow], tags=["statistics"],
             summary="Golden records merged across platforms")
    def cross_border(request: Request):
        audience(request)
        con = open_index()
        try:
            return index.stats_cross_border(con)
        finally:
            con.close()

    @app.get("/api/v1/stats/instrument-value", response_model=list[InstrumentValueRow],
             tags=["statistics"], summary="Large instruments and their value in CNY by region")
    def instrument_value(request: Request):
        audience(request)
        con = open_index()
        try:
            return index.stats_instrument_value(con)
        finally:
            con.close()

    @app.get("/api/v1/health", response_model=Health, tags=["service"])
    def health(request: Request):
        audience(request)
        con = open_index()
        try:
            m = index.meta(con)
        finally:
            con.close()
        return {"status": "ok", "records": int(m.get("records") or 0),
                "run_date": m.get("run_date") or None, "built_at": m.get("built_at")}

    # ------------------------------------------------------------ the catalogue page (HTML)
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def page_search(request: Request, q: str = "", resource_type: str | None = Query(None, pattern=r"^[0-9]{2}$"),
                    region: str | None = Query(None, pattern=CODE),
                    sharing_mode: str | None = Query(None, pattern=CODE),
                    limit: int | None = Query(None, ge=1),
                    cursor: str | None = Query(None, max_length=512, pattern=r"^[A-Za-z0-9_-]+$")):
        out = None
        if q or resource_type or region or sharing_mode:
            _, out = do_search(request, q, resource_type, region, None, sharing_mode, None, None,
                               limit, cursor)
        else:
            audience(request)
        chosen = {k: v for k, v in (("resource_type", resource_type), ("region", region),
                                    ("sharing_mode", sharing_mode)) if v}
        next_page = (urlencode({"q": q, **chosen, **({"limit": limit} if limit else {}),
                                "cursor": out["next_cursor"]})
                     if out and out["next_cursor"] else None)
        return templates.get_template("search.html").render(q=q, out=out, chosen=chosen,
                                                            next_page=next_page)

    @app.get("/record/{cstr_id}", response_class=HTMLResponse, include_in_schema=False)
    def page_record(request: Request, cstr_id: str):
        aud = audience(request)
        page = record_page(cstr_id, aud)
        if isinstance(page, str):
            return RedirectResponse(f"/record/{page}", status_code=301)
        return templates.get_template("record.html").render(p=page)

    return app


def serve_profile(profile, host: str, port: int, *, log_level: str = "info") -> None:
    """Run the service of a profile with uvicorn until interrupted."""
    import uvicorn

    from .reader import reader_for

    config = ServiceConfig.load(profile.path("portal.service"), index_path=profile.path("portal.index"),
                                request_log=profile.get("portal.request_log"),
                                allow_dev_key=bool(profile.get("governance.dev_key_allowed")))
    if not config.index_path.exists():
        raise FileNotFoundError(f"no search index at {config.index_path}: publish a run first "
                                "(make run, or bayres run)")
    if (profile.get("serving.kind") == "duckdb" and profile.get("serving.audience_dir")) \
            or (profile.get("serving.kind") == "hbase" and profile.get("serving.audiences", True)):
        # each audience reads its own governed serving store (conf/governance/rules.yaml): its
        # DuckDB file, or its Phoenix schema BAYRES_<AUDIENCE> (cells already masked)
        app = create_app(config, {name: reader_for(profile, name) for name in config.audiences})
    else:  # one full store: the service applies each audience's rules to what it reads
        app = create_app(config, reader_for(profile))
    uvicorn.run(app, host=host, port=port, log_level=log_level)

