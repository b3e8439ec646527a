"""What every test in tests/app/ gets: AppTest running app.py as the server does, and the Chromium tests' fixtures.

They live in tests/e2e_support.py (with what a person does there); importing them here is what lets pytest find
them by their `name=` (chromium, browser, shared_server, app_url, fresh_server, people) for any test file in this
folder, so no test file imports a fixture. A test that names none of them starts no server and no browser.
"""

from __future__ import annotations

import pytest
from e2e_support import (  # noqa: F401  (fixtures: pytest finds them in this conftest's namespace)
    app_url_fixture,
    browser_fixture,
    chromium_fixture,
    fresh_server_fixture,
    people_fixture,
    shared_server_fixture,
)
from test_app_support import navigation_as_served


@pytest.fixture(autouse=True)
def served(monkeypatch):
    """Each AppTest runs app.py with its navigation, as the server does (see ``navigation_as_served``)."""
    navigation_as_served(monkeypatch)
