"""What every verb of the command line shares: the ``--archive`` option, the date options
(Buddhist era too), and one-line errors instead of tracebacks (``friendly``, ``OneLineErrors``).
"""

from __future__ import annotations

import functools
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from archiver.archive import Archive
from archiver.errors import ArchiverError

ARCHIVE_HELP = "Archive folder (default ./archive, or $ARCHIVER_ARCHIVE)."


def archive_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--archive",
        "archive",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="ARCHIVER_ARCHIVE",
        default=Path("archive"),
        show_default=False,
        help=ARCHIVE_HELP,
    )(fn)


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into one line and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return fn(*args, **kwargs)
            except sqlite3.DatabaseError as exc:  # damage found mid-query: the index's, mostly
                from archiver.index.derived import database_error

                error = database_error(Archive.of(kwargs.get("archive")).index, exc)
                if error is exc:  # a bug of ours, not damage
                    raise
                raise error from exc
        except ArchiverError as exc:
            click.echo(f"archiver: {exc}", err=True)
            sys.exit(exc.exit_code)
        except BrokenPipeError:
            sys.exit(0)

    return wrapper


def bound(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A ``--since``/``--until`` date: YYYY-MM-DD or a year, Buddhist era too (``archiver.thai``
    holds the rules: 2564-11-09, 2564 and 64 are B.E.); a bad or out-of-range one is a usage
    error (one line, exit 2)."""
    if value is None:
        return None
    from archiver.thai.dates import parse_date_bound

    try:
        return parse_date_bound(value, end=param.name == "until").isoformat()
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


#: How --since/--until read a date (``archiver.thai.parse_date_bound``).
DATE_HELP = "YYYY-MM-DD or a year; Buddhist era too: 2564-11-09, 2564, or 64 (B.E. 2564 = 2021)"
date_options = [
    click.option("--since", callback=bound, help=f"Published on or after this date: {DATE_HELP}."),
    click.option("--until", callback=bound, help=f"Published on or before this date: {DATE_HELP}."),
    click.option("--site", help="Only this site (slug)."),
]


def with_options(options: list[Callable[..., Any]]) -> Callable[..., Any]:
    def apply(fn: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            fn = option(fn)
        return fn

    return apply


class OneLineErrors(click.Group):
    """Usage errors (unknown option, bad date) as one line and exit 2, like every other error,
    so that cron mail and scripts see a single clear reason."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            sys.exit(0)
        except click.UsageError as exc:
            where = f"{exc.ctx.command_path}: " if exc.ctx else "archiver: "
            click.echo(f"{where}{exc.format_message()} (try --help)", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            click.echo(f"archiver: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("archiver: aborted", err=True)
            sys.exit(130)
