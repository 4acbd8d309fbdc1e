"""`hotline worker` as separate processes on a committed database, with tiny retry schedules and polls."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def worker_env(db, **settings: object) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "LOG_LEVEL": "WARNING",
        "HOTLINE_WEBHOOK_RETRY_SCHEDULE": "0,0.2,0.2,0.2,0.2",
        "HOTLINE_WEBHOOK_RETRY_JITTER": "0",
        "HOTLINE_WEBHOOK_CONNECT_TIMEOUT_SECONDS": "0.5",
        "HOTLINE_WEBHOOK_READ_TIMEOUT_SECONDS": "0.5",
        "HOTLINE_WEBHOOK_POLL_SECONDS": "0.1",
        "HOTLINE_WORKER_POLL_SECONDS": "0.2",
    }
    env.update({f"HOTLINE_{name.upper()}": str(value) for name, value in settings.items()})
    return env


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "hotline", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
