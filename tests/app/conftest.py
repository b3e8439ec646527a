"""The Chromium tests' fixtures, offered to every test in tests/app/: the browser, the served app, the people who use it.

They live in tests/e2e_support.py (with what a person does there); importing them here is what lets pytest find
them by their `name=` (chromium, browser, shared_server, app_url, fresh_server, people) for any test file in this
folder, so no test file imports a fixture. A test that names none of them starts no server and no browser.
"""

from __future__ import annotations

from e2e_support import (  # noqa: F401  (fixtures: pytest finds them in this conftest's namespace)
    app_url_fixture,
    browser_fixture,
    chromium_fixture,
    fresh_server_fixture,
    people_fixture,
    shared_server_fixture,
)
