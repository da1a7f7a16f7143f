"""Starting and stopping the processes a benchmark runs, shared by the scripts here."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv that runs the script: flask, gunicorn


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(**settings: str) -> dict[str, str]:
    """This process's environment without SIGNON_* and DATABASE_URL, plus ``settings``."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SIGNON_") and k != "DATABASE_URL"
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(settings)
    return env


class Process:
    """A subprocess in a session of its own (its children stop with it)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.stdout_path = logs / f"{name}.stdout"
        self.stderr_path = logs / f"{name}.stderr"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.popen = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )

    def running(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float) -> int | None:
        """The exit status, or None if it still runs after ``timeout`` seconds."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to the session, SIGKILL after ``grace`` seconds, then any leftover."""
        if self.running():
            self._signal(signal.SIGTERM)
            if self.wait(grace) is None:
                self._signal(signal.SIGKILL)
                self.wait(grace)
        self._signal(signal.SIGKILL)  # workers a dead master left behind

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signum)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", errors="replace")

    def cpu_seconds(self) -> float:
        """CPU time (user and system) used so far by this process and its descendants."""
        return cpu_seconds(self.popen.pid)


def cpu_seconds(pid: int) -> float:
    """CPU time used by the living process ``pid`` and its living descendants (Linux /proc).

    0.0 where /proc does not tell. Children that already exited are not
    counted: read it around a run during which the processes stay up.
    """
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            # The fields after the command name, which may itself hold spaces or ")".
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += map(int, (task / "children").read_text().split())
        except (OSError, IndexError, ValueError):
            continue
    return total


@contextlib.contextmanager
def started(name: str, args: list[str], env: dict[str, str], logs: Path) -> Iterator[Process]:
    """A process for the length of the block; stopped whatever happens."""
    process = Process(name, args, env, logs)
    try:
        yield process
    finally:
        process.stop()
