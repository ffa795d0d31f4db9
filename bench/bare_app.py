"""The machine's ceiling for the API benchmark: a bare FastAPI endpoint with a 20-item body."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

app = FastAPI()
ITEMS = [{"id": n, "title": f"Isu {n}", "severity": 12.5, "status": "new"} for n in range(20)]


@app.get("/bare")
async def bare() -> dict[str, Any]:
    return {"items": ITEMS}
