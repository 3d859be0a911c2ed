"""Operations commands of ``bayres``: shared configuration in ZooKeeper, health, locks.

    bayres config push NAME FILE.yaml|json   create or replace a shared configuration
    bayres config get NAME                   print it (JSON on stdout, version on stderr)
    bayres config watch NAME [--count N]     print it, then every change (one JSON line each)
    bayres health [--json]                   check every endpoint of the profile; exit 1 if one is down
    bayres lock-status                       who holds / waits for each lock

ZooKeeper comes from the profile (``state.hosts``, ``state.root``) or ``--zk HOST:PORT[,…]``.
``jobs/run/cli.py`` adds these commands with :func:`register` (``register(main)``).
"""
from __future__ import annotations

import json
import logging
import queue
import time
from pathlib import Path
from typing import Optional

import click
import yaml
from kazoo.protocol.states import KeeperState

from bayres.connectors.zookeeper import ZkCoordinator, ZkError, coordinator_for

from . import health as health_mod

#: client libraries that log (with tracebacks) what a health check reports anyway
QUIET_LOGGERS = ("thrift", "thriftpy2", "hdfs", "kazoo", "happybase", "phoenixdb", "pyhive")

_zk_option = click.option("--zk", "zk_hosts", default=None, metavar="HOST:PORT[,…]",
                          help="ZooKeeper hosts (default: the profile's state.hosts).")


def _coordinator(profile, zk_hosts: Optional[str]) -> ZkCoordinator:
    try:
        return coordinator_for(profile, zk_hosts).start()
    except ZkError as exc:
        raise click.ClickException(str(exc)) from exc


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _load_document(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: a configuration is a mapping at top level")
    return data


@click.group(name="config")
@_zk_option
@click.pass_context
def config_group(ctx: click.Context, zk_hosts: Optional[str]) -> None:
    """Shared configuration in ZooKeeper (<root>/config/NAME), seen by every worker."""
    ctx.meta["bayres.zk_hosts"] = zk_hosts


@config_group.command(name="push")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def config_push(ctx: click.Context, name: str, file: Path) -> None:
    """Create or replace configuration NAME with FILE (YAML or JSON mapping)."""
    data = _load_document(file)
    with _coordinator(ctx.obj, ctx.meta.get("bayres.zk_hosts")) as zk:
        try:
            version = zk.push_config(name, data)
        except (ValueError, ZkError) as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"pushed {zk.path('config', name)} version {version}")


@config_group.command(name="get")
@click.argument("name")
@click.pass_context
def config_get(ctx: click.Context, name: str) -> None:
    """Print configuration NAME as JSON (its version goes to stderr)."""
    with _coordinator(ctx.obj, ctx.meta.get("bayres.zk_hosts")) as zk:
        try:
            data, version = zk.get_config(name)
        except (ValueError, ZkError) as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True))
    click.echo(f"version {version}", err=True)


@config_group.command(name="watch")
@click.argument("name")
@click.option("--count", type=click.IntRange(min=1), default=None,
              help="Stop after N changes (default: until Ctrl-C).")
@click.option("--timeout", type=click.FloatRange(min=0), default=None,
              help="Stop after this many seconds; exit 1 if --count changes were not seen.")
@click.pass_context
def config_watch(ctx: click.Context, name: str, count: Optional[int], timeout: Optional[float]) -> None:
    """Print configuration NAME, then each change, one JSON line each:
    {"version": N, "data": {...}} (version and data null while it does not exist).
    Changes in quick succession may show only the latest version."""
    seen: queue.Queue = queue.Queue()
    deadline = time.monotonic() + timeout if timeout is not None else None
    with _coordinator(ctx.obj, ctx.meta.get("bayres.zk_hosts")) as zk:
        try:
            zk.watch_config(name, lambda data, version: seen.put((data, version)))
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        last, changes = object(), -1  # the first observation is the current value, not a change
        try:
            while count is None or changes < count:
                if deadline is not None and time.monotonic() >= deadline:
                    if count is not None:
                        raise click.ClickException(f"saw {max(changes, 0)} of {count} changes "
                                                   f"within {timeout:g} s")
                    return
                if zk.client.client_state == KeeperState.CLOSED:
                    raise click.ClickException(f"lost the connection to ZooKeeper at {zk.hosts}")
                try:
                    data, version = seen.get(timeout=0.2)
                except queue.Empty:
                    continue
                if version == last:  # a reconnect re-reads the same version
                    continue
                last, changes = version, changes + 1
                click.echo(_json({"version": version, "data": data}))
        except KeyboardInterrupt:
            pass


@click.command(name="health")
@click.option("--json", "as_json", is_flag=True, help="One JSON document (for monitoring).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=None,
              help="Seconds per check (default: the profile's health.timeout, else 3).")
@click.pass_obj
def health(profile, as_json: bool, timeout: Optional[float]) -> None:
    """Check every endpoint of the profile (latency and verdict); exit 1 if any is down."""
    for noisy in QUIET_LOGGERS:  # their failures are the table's DOWN rows
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    checks = health_mod.check_endpoints(profile, timeout)
    if as_json:
        click.echo(json.dumps(health_mod.report(profile, checks), ensure_ascii=False, indent=2))
    else:
        click.echo(health_mod.render_table(checks))
    if not all(c.up for c in checks):
        raise SystemExit(1)


@click.command(name="lock-status")
@_zk_option
@click.option("--json", "as_json", is_flag=True, help="JSON: {lock: [holder, waiter, …]}.")
@click.pass_obj
def lock_status(profile, zk_hosts: Optional[str], as_json: bool) -> None:
    """Who holds each distributed lock, and who waits for it."""
    with _coordinator(profile, zk_hosts) as zk:
        status = zk.lock_status()
    if as_json:
        click.echo(_json(status))
        return
    if not status:
        click.echo("no lock is held")
    for name, (holder, *waiting) in status.items():
        click.echo(f"{name}: held by {holder}" + (f"; waiting: {', '.join(waiting)}" if waiting else ""))


def register(main: click.Group) -> None:
    """Add the operations commands to the ``bayres`` group."""
    for command in (config_group, health, lock_status):
        main.add_command(command)
