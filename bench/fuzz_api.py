"""Long API fuzzing run: schemathesis, every phase, every role and no key, against `pantau serve`.

    PYTHONPATH=. python bench/fuzz_api.py --examples 100 [--database-url postgresql://...]

Prints per role: operations, test cases generated, failures; the totals line last.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.hardening.fuzz import ROLES, fuzz_role
from tests.hardening.live import LiveServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=100)
    parser.add_argument("--phases", default="examples,coverage,fuzzing,stateful")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'fuzz.db'}"
        started = time.perf_counter()
        with LiveServer(url, workdir) as server:
            runs = [
                fuzz_role(
                    server, role, workdir=workdir, max_examples=args.examples, phases=args.phases
                )
                for role in ROLES
            ]
            tracebacks = server.log_text().count("Traceback")
        for run in runs:
            print(
                f"{run.role}: {run.operations} operations, {run.generated} cases, "
                f"failures {run.failure_codes or 'none'}, errors {len(run.errors)}"
            )
        print(
            f"fuzz_api: {sum(r.generated for r in runs)} cases over {runs[0].operations} "
            f"operations x {len(runs)} roles, "
            f"{sum(len(r.failures) for r in runs)} failure kinds, {tracebacks} server tracebacks, "
            f"{time.perf_counter() - started:.0f} s"
        )


if __name__ == "__main__":
    main()
