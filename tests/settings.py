"""Settings for `pytest`: the project's one settings file, with a throwaway secret key when none
is set, so that a bare `pytest` runs as `make test` does (DEBUG stays off, as in production)."""

from __future__ import annotations

import os

# Set in the environment, not here alone: the live daphne the browser tests start inherits it.
os.environ.setdefault("IMAGO_SECRET_KEY", "test-only-not-secret-" + "0" * 50)

from imago_site.settings import *  # noqa: E402, F403
