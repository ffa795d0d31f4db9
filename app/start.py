"""The `pantau` command's entry point (and `python -m app`).

`pantau crawl --once` from cron finds nothing due most of the time: before the command line
(Typer), SQLAlchemy, the ORM and the pipeline are imported, `pipeline/idle.py` asks the
database through its driver whether any stage has work, with the settings read by
`plainenv.py` when the environment sets nothing but the database URL (no pydantic), else by
`Settings`. With nothing waiting, the command prints the summary the full run would print and
exits 0; otherwise, or if unsure, every command runs as it always did (`app.cli`).
"""

from __future__ import annotations

import sys


def nothing_due() -> bool:
    """Whether the database is at the newest migration and no stage has work waiting."""
    try:
        from app.pipeline.idle import waiting, waiting_for
        from app.plainenv import DEFAULT_RETENTION_DAYS, plain_database_url

        url = plain_database_url()  # only PANTAU_DATABASE_URL set: no pydantic needed
        if url is not None:
            stages = waiting(url, retention_days=DEFAULT_RETENTION_DAYS)
        else:
            from app.config import get_settings

            stages = waiting_for(get_settings())
    except Exception:  # settings the full run rejects: it reports them as it always has
        return False
    return stages == []


def main() -> None:
    if sys.argv[1:] == ["crawl", "--once"] and nothing_due():
        from app.pipeline.idle import summary_line

        sys.stdout.write(summary_line() + "\n")
        sys.stdout.flush()
        return
    from app.cli import main as run_command

    run_command()
