"""Thin HTTP layer: one module per resource; each handler calls a service and returns a schema.

Shared pieces: authentication and roles (deps.py), list parameters (params.py), conditional GET
and polling headers (conventions.py) and their pre-routing fast path (gate.py).
"""
