"""The crisis room's tests share the routers' client and keys."""

from tests.routers.conftest import admin, analyst, client, viewer

__all__ = ["admin", "analyst", "client", "viewer"]
