"""Memory of a command and its process tree (the CPU pool's forkserver and workers), from /proc.

The tree is measured in PSS: pages the workers share with their forkserver (the interpreter,
the parsers, the scoring model's arrays) count once across the processes sharing them, as
they take memory once. Used by tests/hardening/test_soak_memory.py and bench/hostile_soak.py.
"""

from __future__ import annotations

import os
from pathlib import Path

CEILING_MB = 600  # issue 18: the whole tree of a `crawl --once` or a `worker`


def pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def tree_pss_kb(root: int) -> int:
    """PSS of `root` and all its descendants, in kB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        children.setdefault(int(fields.get("PPid", "0").strip()), []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += pss_kb(pid)
        stack.extend(children.get(pid, []))
    return total
