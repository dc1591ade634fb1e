"""`make run`'s ports are overridable, and the README says how."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
MAKE = shutil.which("make")


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_make_run_takes_port_and_sim_port_everywhere_it_uses_them():
    # -n: print the recipe without running it.
    printed = subprocess.run(  # noqa: S603 - fixed arguments
        [MAKE, "-n", "run", "PORT=8123", "SIM_PORT=8124"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "runserver 127.0.0.1:8123" in printed
    assert "vapi_simulator --host 127.0.0.1 --port 8124" in printed
    assert "VAPI_BASE_URL=http://127.0.0.1:8124" in printed  # the printed export line too
    assert "PUBLIC_BASE_URL=http://127.0.0.1:8123" in printed
    assert ":8000" not in printed
    assert ":8001" not in printed


def test_readme_says_how_to_change_the_ports():
    readme = (ROOT / "README.md").read_text()
    assert "make run PORT=" in readme
    assert "SIM_PORT=" in readme
