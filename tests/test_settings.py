"""The settings an operator relies on, checked in a fresh process as they would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "IMAGO_SECRET_KEY": "k" * 20 + "production-style-secret-for-the-deploy-check-only",
    "IMAGO_HTTPS": "1",
    "IMAGO_ALLOWED_HOSTS": "imago.example.org",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("IMAGO_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_deploy_check_passes_with_the_documented_production_settings() -> None:
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_missing_secret_key_stops_start_up_with_a_clear_message() -> None:
    result = _manage("check", IMAGO_ALLOWED_HOSTS="imago.example.org")
    assert result.returncode != 0
    assert "IMAGO_SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_demo_accounts_are_refused_outside_local_mode() -> None:
    result = _manage("demo_data", **PRODUCTION)
    assert result.returncode != 0
    assert "Demo accounts exist only in local mode" in result.stderr
