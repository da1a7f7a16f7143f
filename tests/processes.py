"""Real processes for the load and fault tests: gunicorn, `flask outbox work`, SMTP.

Every process is started in a session of its own, so that stopping it also
stops its children (gunicorn's workers); ``Processes.stop_all`` is meant for
a fixture's teardown, so nothing outlives a test, even a failed one. Every
wait here has a deadline. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import http.client
import http.cookies
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import BinaryIO

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv pytest runs in: gunicorn, flask


# --- SMTP ------------------------------------------------------------------


class Recorder:
    """An aiosmtpd handler that keeps every message it accepts.

    ``delay`` seconds pass between the end of DATA and the "250" reply, as a
    slow server's would; if the client disconnects meanwhile, aiosmtpd
    cancels the handler and the message is not accepted. ``started`` lists
    the recipients of every DATA that began, accepted or not; ``contents``
    the raw bytes of every accepted message, in the order of ``received``.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.received: list[list[str]] = []
        self.contents: list[bytes] = []
        self.started: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.started.extend(envelope.rcpt_tos)
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(list(envelope.rcpt_tos))
            self.contents.append(bytes(envelope.original_content or b""))
        return "250 Message accepted for delivery"

    def messages_to(self, address: str) -> list[EmailMessage]:
        """Every accepted message with ``address`` among its recipients, parsed."""
        with self.lock:
            raw = [c for r, c in zip(self.received, self.contents, strict=True) if address in r]
        return [email.message_from_bytes(c, policy=email.policy.default) for c in raw]

    @property
    def recipients(self) -> list[str]:
        """Every recipient of every accepted message, in order of arrival."""
        with self.lock:
            return [rcpt for rcpts in self.received for rcpt in rcpts]

    def counts(self) -> Counter[str]:
        """How many messages each address received."""
        return Counter(self.recipients)

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` messages were accepted; whether they were."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.recipients) >= count:
                return True
            time.sleep(0.01)
        return len(self.recipients) >= count


@contextmanager
def smtp_server(handler: Recorder, port: int) -> Iterator[Recorder]:
    """aiosmtpd on 127.0.0.1:``port`` for the length of the block."""
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


# --- processes -------------------------------------------------------------


def app_env(database_uri: str, instance_path: Path, **settings: object) -> dict[str, str]:
    """The environment of a subprocess running the app on ``database_uri``.

    Inherited ``SIGNON_*`` variables are dropped, so only what a test sets
    applies; ``settings`` become ``SIGNON_<NAME>`` (values as JSON would
    read them: ``True`` → ``true``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNON_")}
    env.update(
        SIGNON_ENV="testing",
        DATABASE_URL=database_uri,
        SIGNON_INSTANCE_PATH=str(instance_path),
        PYTHONUNBUFFERED="1",
    )
    for name, value in settings.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        env[f"SIGNON_{name}"] = str(value)
    return env


def production_env(database_uri: str, instance_path: Path, **settings: object) -> dict[str, str]:
    """As ``app_env``, in production mode: no ``SIGNON_ENV`` at all, as on a real server.

    Production refuses to start without ``SECRET_KEY`` and ``BASE_URL``
    among ``settings``.
    """
    env = app_env(database_uri, instance_path, **settings)
    del env["SIGNON_ENV"]
    return env


def mail_settings(port: int, **extra: object) -> dict[str, object]:
    """Settings that make a worker really send, to 127.0.0.1:``port``."""
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT": 5,
        **extra,
    }


class Process:
    """One started process (with its session), its output in two files."""

    def __init__(
        self,
        name: str,
        args: list[str],
        env: dict[str, str],
        logs: Path,
        stdin: str | None = None,
    ) -> None:
        self.name = name
        self.stdout_path = logs / f"{name}.stdout"
        self.stderr_path = logs / f"{name}.stderr"
        with ExitStack() as files:
            out = files.enter_context(self.stdout_path.open("wb"))
            err = files.enter_context(self.stderr_path.open("wb"))
            given: int | BinaryIO = subprocess.DEVNULL
            if stdin is not None:
                stdin_path = logs / f"{name}.stdin"
                stdin_path.write_text(stdin, "utf-8")
                given = files.enter_context(stdin_path.open("rb"))
            self.popen = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdin=given,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        self.pid = self.popen.pid
        self.stopped = False

    def poll(self) -> int | None:
        return self.popen.poll()

    def send(self, signum: int) -> None:
        """Send ``signum`` to the process itself (not its children)."""
        if self.popen.poll() is None:
            self.popen.send_signal(signum)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def kill_group(self, signum: int = signal.SIGKILL) -> None:
        """Send ``signum`` to every process of this one's session."""
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signum)

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after ``grace`` seconds; then the rest of the group."""
        if self.stopped:
            return
        if self.popen.poll() is None:
            self.kill_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.kill_group(signal.SIGKILL)
                self.popen.wait(timeout=grace)
        # Children left behind by a master that is gone (gunicorn workers).
        self.kill_group(signal.SIGKILL)
        self.stopped = True

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text("utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", errors="replace")

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


CONTROL_SOCKET_OPTIONS = ("--control-socket", "--no-control-socket")


def control_socket(path: Path) -> list[str]:
    """gunicorn's options for a control socket at ``path``; none at all if too long for one."""
    if len(str(path)) > 100:  # AF_UNIX paths are short
        return ["--no-control-socket"]
    return ["--control-socket", str(path)]


class Processes:
    """Starts processes and stops every one of them in ``stop_all``."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.started: list[Process] = []
        self.names: Counter[str] = Counter()

    def start(
        self, name: str, args: list[str], env: dict[str, str], stdin: str | None = None
    ) -> Process:
        """Start ``args``; ``stdin`` is the text it reads (None: nothing, /dev/null)."""
        return self._launch(self._unique(name), args, env, stdin)

    def _unique(self, name: str) -> str:
        """``name``, or ``name-N`` for the Nth process of that name."""
        self.names[name] += 1
        return name if self.names[name] == 1 else f"{name}-{self.names[name]}"

    def _launch(
        self, name: str, args: list[str], env: dict[str, str], stdin: str | None = None
    ) -> Process:
        process = Process(name, args, env, self.logs, stdin)
        self.started.append(process)
        return process

    def gunicorn(
        self, env: dict[str, str], port: int, workers: int = 4, options: Sequence[str] = ()
    ) -> Process:
        """``gunicorn -w N -b 127.0.0.1:PORT [OPTIONS] wsgi:app`` (no access log: its default).

        Unless ``options`` say otherwise, with a control socket of its own
        beside its logs: gunicorn 27 opens one at ~/.gunicorn/gunicorn.ctl by
        default, which a second instance would take over and the first to
        stop delete.
        """
        name = self._unique("gunicorn")
        args = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", *options]
        if not any(option.split("=")[0] in CONTROL_SOCKET_OPTIONS for option in options):
            args += control_socket(self.logs / f"{name}.ctl")
        return self._launch(name, [*args, "wsgi:app"], env)

    def worker(self, env: dict[str, str], *, once: bool = False) -> Process:
        """``flask --app wsgi outbox work [--once]``."""
        args = [str(BIN / "flask"), "--app", "wsgi", "outbox", "work"]
        return self.start("worker", [*args, "--once"] if once else args, env)

    def flask(self, env: dict[str, str], *args: str, stdin: str | None = None) -> Process:
        """``flask --app wsgi ARGS``, reading ``stdin`` (text, or nothing when None)."""
        return self.start("flask", [str(BIN / "flask"), "--app", "wsgi", *args], env, stdin)

    def stop_all(self) -> None:
        for process in reversed(self.started):
            process.stop()


def run_worker_once(
    processes: Processes, env: dict[str, str], timeout: float = 30.0
) -> tuple[int, str]:
    """Run ``flask outbox work --once`` to its end: (exit code, its output)."""
    process = processes.worker(env, once=True)
    try:
        code = process.wait(timeout)
    finally:
        process.stop()
    return code, process.output


def wait_healthy(process: Process, port: int, timeout: float = 30.0) -> None:
    """Wait until ``/healthz`` answers 200 (or fail with the server's output)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{process.name} exited early:\n{process.output}")
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    raise AssertionError(f"{process.name} not healthy after {timeout}s:\n{process.output}")


def post_form(port: int, path: str, form: dict[str, str]) -> tuple[int, str]:
    """POST ``form`` url-encoded to 127.0.0.1, following no redirect: (status, Location)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            path,
            body=urllib.parse.urlencode(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location") or ""
    finally:
        connection.close()


def get_status(port: int, path: str) -> int:
    """GET ``path`` from 127.0.0.1: the status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.01) -> bool:
    """Poll ``predicate()`` until it is true or ``timeout`` passes; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


# --- a browser behind the reverse proxy ------------------------------------


@dataclass
class Reply:
    """One HTTP response, read to its end."""

    status: int
    headers: http.client.HTTPMessage
    text: str

    def header(self, name: str) -> str:
        return self.headers.get(name) or ""


class ProxiedBrowser:
    """A browser at ``client_ip`` on ``base_url``, as the app sees it behind nginx.

    Requests go to gunicorn on 127.0.0.1 (``port``, or the one a call names:
    several app servers behind one load balancer) with the headers
    docs/deploy.md's nginx sets: Host, X-Forwarded-For (the client, replaced
    rather than appended), X-Forwarded-Proto (https) and X-Forwarded-Host.
    Cookies are kept in one jar for the whole site and sent back with every
    request (Path and expiry dates are not looked at; the proxy speaks HTTPS
    to the browser, so Secure cookies go back too), and a POST carries the
    Origin and Referer a browser sends from the site's own page. Redirects
    are not followed.
    """

    def __init__(self, base_url: str, port: int, client_ip: str, timeout: float = 30.0) -> None:
        parts = urllib.parse.urlsplit(base_url)
        assert parts.scheme == "https", "the proxy serves the site over HTTPS"
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.host = parts.netloc
        self.port = port
        self.client_ip = client_ip
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        port: int | None = None,
    ) -> Reply:
        sent = {
            "Host": self.host,
            "X-Forwarded-For": self.client_ip,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": self.host,
        }
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        connection = http.client.HTTPConnection(
            "127.0.0.1", port or self.port, timeout=self.timeout
        )
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self._keep(header)
        return Reply(response.status, response.headers, text)

    def get(
        self, path: str, headers: dict[str, str] | None = None, port: int | None = None
    ) -> Reply:
        return self.request("GET", path, headers=headers, port=port)

    def post(
        self,
        path: str,
        form: dict[str, str],
        page: str | None = None,
        port: int | None = None,
    ) -> Reply:
        """POST ``form`` from the site's ``page`` (default: ``path`` itself)."""
        headers = {"Origin": self.origin, "Referer": self.origin + (page or path)}
        return self.request("POST", path, form=form, headers=headers, port=port)

    def _keep(self, header: str) -> None:
        cookie: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            expired = morsel["max-age"] == "0" or morsel["expires"].startswith("Thu, 01 Jan 1970")
            if expired or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value
