"""Deployment settings: checked in a subprocess so each run gets a fresh settings module."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environ.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", **env})
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = _manage("check", DJANGO_DEBUG="false", DJANGO_SECRET_KEY="")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_check_deploy_reports_only_https_issues_left_to_the_proxy():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "ERROR",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="k3y-" + "x9Qm2vLp8Rt5Wz1Yc4Nb7Hd0Jf6Gs3Ak" * 2,
        DJANGO_ALLOWED_HOSTS="leasing.example.com",
        VAPI_WEBHOOK_SECRET="whsec-test",
    )
    assert result.returncode == 0, result.stderr
    reported = set(re.findall(r"\((\w+\.[WE]\d+)\)", result.stderr))
    # HSTS and the HTTPS redirect are the reverse proxy's job (README, "Deploying").
    assert reported <= {"security.W004", "security.W008"}, result.stderr
