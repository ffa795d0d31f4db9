"""Pydantic request and response models (never ORM classes)."""
