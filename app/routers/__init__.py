"""Thin HTTP layer: one module per resource."""
