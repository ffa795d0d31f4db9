"""The API client and role keys of tests/routers."""

from tests.routers.conftest import admin, analyst, client, viewer  # noqa: F401 - fixtures
