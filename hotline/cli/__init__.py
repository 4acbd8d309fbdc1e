"""The `hotline` command line: one Typer app (`base.app`) on which each module here registers its commands.

As in Warehouse's `cli/__init__.py`: the group is defined first, then every command module is imported so that
it registers itself; a command never reaches into another command module.
"""

from hotline.cli import (  # noqa: F401  (each registers its commands on `app`)
    audit,
    cases,
    db,
    demo,
    keys,
    partners,
    retention,
    routing,
    serve,
    tips,
    users,
)
from hotline.cli.base import app

__all__ = ["app"]
