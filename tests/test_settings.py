"""The settings an operator relies on, checked in a fresh process as they would run it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "IMAGO_SECRET_KEY": "k" * 20 + "production-style-secret-for-the-deploy-check-only",
    "IMAGO_HTTPS": "1",
    "IMAGO_ALLOWED_HOSTS": "imago.example.org",
}


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IMAGO_", "DJANGO_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
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


def test_a_bare_pytest_run_needs_no_secret_key_in_the_environment() -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("IMAGO_", "DJANGO_"))}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "pytest"), "-q", "-p", "no:cacheprovider",
         "tests/test_settings.py::test_deploy_check_passes_with_the_documented_production_settings"],
        cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_make_run_serves_on_the_host_and_port_from_the_environment() -> None:
    env = {**os.environ, "HOST": "0.0.0.0", "PORT": "8123"}
    result = subprocess.run(
        ["make", "--dry-run", "--always-make", "run"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "daphne -b 0.0.0.0 -p 8123 imago_site.asgi:application" in result.stdout
    assert "HOST=0.0.0.0 PORT=8123" in result.stdout  # handed on to the demo data's message


def test_the_license_is_an_spdx_expression_that_pip_installs_without_a_warning() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "AGPL-3.0-or-later"
    assert "setuptools>=77" in pyproject["build-system"]["requires"]


def test_demo_data_names_the_address_make_run_serves(tmp_path: Path) -> None:
    local = {"IMAGO_DEBUG": "1", "IMAGO_SQLITE_PATH": str(tmp_path / "demo.sqlite3")}
    assert _manage("migrate", "--noinput", **local).returncode == 0
    result = _manage("demo_data", HOST="192.0.2.7", PORT="8123", **local)
    assert result.returncode == 0, result.stderr
    assert "Open http://192.0.2.7:8123 in two browsers." in result.stdout


def test_the_readme_opens_with_the_two_commands() -> None:
    first_lines = (ROOT / "README.md").read_text().splitlines()[:6]
    assert any(line.startswith("make run ") for line in first_lines)
    assert any(line.startswith("make test ") for line in first_lines)
