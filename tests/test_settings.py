"""Settings fail loudly and the production configuration passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    unwanted = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in unwanted}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_start_up_without_a_secret_key_in_production_fails_with_a_clear_message(tmp_path):
    result = _manage("check", env={"VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_bad_boolean_is_refused_at_start_up(tmp_path):
    result = _manage("check", env={"DEBUG": "ture", "VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "DEBUG='ture' is not a boolean" in result.stderr


def test_a_bad_api_rate_is_refused_at_start_up(tmp_path):
    result = _manage("check", env={"DEBUG": "true", "API_RATE": "lots", "VAR_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "API_RATE must be a number of requests" in result.stderr


def test_production_settings_pass_the_deploy_checks_without_warnings(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "SECRET_KEY": "a" * 20 + "-production-like-secret-key-with-enough-entropy-x9Q2",
            "ALLOWED_HOSTS": "plans.example.org",
            "VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
