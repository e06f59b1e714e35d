"""The flask command in a subprocess, against a database of a test's own."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def flask(url: str, *args: str) -> str:
    """`flask --app app ARGS` with DATABASE_URL at `url`; its output. Fails
    the test with that output if the command fails."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "cli-test"}
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
