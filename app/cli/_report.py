"""How a ``guildhall`` command hands back a report: JSON for machines, lines for people."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

import typer

from app.cli._common import err_console, print_json


class Report(Protocol):
    """What the tenancy core's reports (migrate, verify) have in common."""

    @property
    def ok(self) -> bool: ...

    def to_json(self) -> Any: ...


R = TypeVar("R", bound=Report)


def finish(
    report: R, *, as_json: bool, show: Callable[[R], None], closing: Callable[[R], str]
) -> None:
    """Print ``report`` (its JSON, or ``show`` for people) and exit 1 unless it is ok.

    For people, a report that is not ok ends with ``closing``'s line on stderr: a script
    reading stdout keeps only the report, a person sees why the exit status is 1.
    """
    if as_json:
        print_json(report.to_json())
    else:
        show(report)
    if report.ok:
        return
    if not as_json:
        err_console.print(closing(report), highlight=False, soft_wrap=True)
    raise typer.Exit(1)
