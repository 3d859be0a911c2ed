"""``bayres state days | rewind --to DAY``: the current state's applied days, and a rewind before
a backfill (jobs/state/current.py)."""
from __future__ import annotations

import click


def _path(profile):
    from .current import local_path

    return local_path(profile.path("lake.root").as_uri()) / "state" / "current"


def register(main: click.Group) -> None:
    @main.group()
    def state() -> None:
        """The current state of every source (Delta table under <lake>/state/current)."""

    @state.command()
    @click.pass_obj
    def days(profile) -> None:
        """The days applied to the current state, oldest first."""
        from .current import applied_days

        for day in applied_days(_path(profile)):
            click.echo(day)

    @state.command()
    @click.option("--to", "day", required=True, help="The day to rewind to before (YYYY-MM-DD).")
    @click.pass_obj
    def rewind(profile, day: str) -> None:
        """Restore the state to what it was before DAY was applied (then re-run the days from DAY
        on); the Delta log keeps the rewound versions."""
        from .current import rewind as do_rewind

        left = do_rewind(_path(profile), day)
        click.echo(f"the state now holds {len(left)} days" + (f", the newest {left[-1]}" if left else ""))
