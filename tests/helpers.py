"""What tests share besides fixtures: paths, the seed question, ports, running the real CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
SHARED = REPO.parent / "shared"
DATASETS = SHARED / "datasets"
SEED_QUESTION = "How many people did Venezuela release?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 60) -> bool:
    """Wait until something listens on 127.0.0.1:port; False on time-out or if `proc` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            if proc is not None and proc.poll() is not None:
                return False
            time.sleep(0.1)
    return False


def run_newsbot(*args: str, data_dir: Path, input: str | None = None, env: dict | None = None, timeout: float = 120):
    """Run the real `newsbot` CLI in a subprocess, as a user would."""
    full_env = {**os.environ, "NEWSBOT_DATA_DIR": str(data_dir), "NEWSBOT_THREADS": "1", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        cwd=REPO,
    )
