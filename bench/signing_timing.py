"""Does the sign-on POST's response time tell whether an address already signed?

What it measures
----------------
An attacker who wants to know whether ``someone@example.org`` co-signed a
statement can submit the public form with that address and time the answer:
the page is the same either way, but if a brand-new address takes longer
(an INSERT, a confirmation email rendered and queued) than one that already
signed (nothing to do), the response time is a timing oracle.

This script starts the real thing and measures it, all on 127.0.0.1:

1. a temporary directory with a fresh SQLite database (``flask db upgrade``)
   and one open statement (``flask statements import``), in production mode
   (``SIGNON_ENV=production``: what users meet) with rate limits off, since
   they would otherwise stop the run after a few posts;
2. ``gunicorn --workers 2 wsgi:app`` on a free port, on that database;
3. warm-up requests (discarded), then N addresses signed once through the
   form (``seen-NNNNN@example.org``);
4. P rounds, each holding three requests in a random order: a POST with a
   brand-new address (``anew-NNNNN@example.org``), a POST with an address
   from step 3, and a GET /healthz as a baseline for what any request costs.
   Both addresses have the same length, so both bodies have the same size.

Every POST must answer 303 and every /healthz 200; anything else (or a
connection failure) is an error, and a run with errors exits with status 2.
gunicorn is always stopped at the end, also on Ctrl-C or SIGTERM.

The already-signed addresses are pending signatures made seconds before they
are probed. The run sets CONFIRM_RESEND_INTERVAL to 0, so each repeat is
treated as one older than the interval and re-sends its confirmation, the
case of an address that signed some time ago. A repeat within the interval
(15 minutes by default) sends nothing; to time that path instead, which
must cost the same, run with ``--set CONFIRM_RESEND_INTERVAL=900``
(``make bench`` runs both).

How to run it
-------------
From the repository root, with the project's virtualenv (its flask and
gunicorn are the ones next to the interpreter)::

    .venv/bin/python bench/signing_timing.py                 # 200 pairs, about 10 s
    .venv/bin/python bench/signing_timing.py --quick         # 40 pairs, for CI
    .venv/bin/python bench/signing_timing.py --max-share 0.65  # exit 1 above 65 %
    .venv/bin/python bench/signing_timing.py --max-difference 0.15  # CI's gate
    .venv/bin/python bench/signing_timing.py --set SESSION_COOKIE_SECURE=false
    .venv/bin/python bench/signing_timing.py --control       # A/A: expect 50 %

``--set NAME=VALUE`` adds ``SIGNON_NAME=VALUE`` to the app's environment
(inherited ``SIGNON_*`` variables and ``DATABASE_URL`` are dropped, so the
run never touches a real database). Run it on a quiet machine: anything else
busy on the CPUs adds noise to both kinds alike, but blurs the difference.

How to read the figures
-----------------------
* median, p90, mean: full request times (connect, send, server, read) in ms.
* ``x healthz``: each median divided by the /healthz median, so runs on
  different machines compare.
* ``median(new) / median(repeat)``: 1.00 means no difference.
* ``pairs where new was slower``: the share of rounds in which the new
  address took longer than the already-signed one. 50 % means no signal;
  the sign-test p-value says how surprising the share would be if there were
  none. A security review measured 83 % (new 10.9 ms, repeat 8.4 ms).
* ``median difference``: the median over rounds of (new - repeat) in ms,
  with a distribution-free 95 % confidence interval (the sign-test interval
  from order statistics). An interval that excludes 0 is a real difference.

With ``--quick`` (40 pairs) the share has a standard deviation of about 8
points from run to run even without any signal; judge a fix by a full run.
``--control`` checks the method itself: both POSTs of a round then use an
already-signed address, and the share should come out near 50 %.

Exit status: 0 if the run worked; 1 if ``--max-share`` was given and the
share of "new slower" pairs exceeded it; 2 if the run failed (the server did
not start, or a request failed or got an unexpected status).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import json
import math
import random
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from processes import BIN, ROOT, Process, clean_env, free_port

WORKERS = 2
SLUG = "timing-benchmark"
TIMEOUT = 30.0  # seconds, for any one request
START_TIMEOUT = 30.0  # seconds for gunicorn to answer /healthz
RESEND_INTERVAL = 15 * 60  # the default CONFIRM_RESEND_INTERVAL, seconds
MAX_ERRORS = 20  # failed requests after which the run stops

STATEMENT_FILE = f"""---
slug: {SLUG}
title: Timing Benchmark Statement
publisher: signon benchmarks
published_on: 2026-01-01
state: open
needs_verification: true
---
A statement for the timing benchmark, with a footnote.[^1]

[^1]: A source.
"""

# The valid form of tests/conftest.py (VALID_FORM); the name and address vary.
FORM = {
    "org_name": "Rainbow Workers Union",
    "org_type": "union",
    "country": "DE",
    "city": "Berlin",
    "website": "https://rwu.example.org",
    "contact_name": "Alex Private-Contact",
    "contact_email": "alex.private@example.org",
    "contact_role": "Secretary",
    "comment": "In solidarity.",
    "listing": "listed",
    "consent": "y",
}


class RunFailed(Exception):
    """The benchmark could not run; the message says why."""


class TooManyErrors(Exception):
    """MAX_ERRORS requests failed: the run stops early."""


# --- the server ------------------------------------------------------------


def app_env(instance: Path, port: int, secret: str, extra: dict[str, str]) -> dict[str, str]:
    """The app's environment: production mode on the database in ``instance``."""
    env = clean_env(
        SIGNON_ENV="production",
        SIGNON_SECRET_KEY=secret,
        SIGNON_BASE_URL=f"http://127.0.0.1:{port}",
        SIGNON_INSTANCE_PATH=str(instance),
        SIGNON_RATELIMIT_ENABLED="false",
        # Plain http on loopback: production refuses that unless told the
        # session cookie need not be Secure (no admin logs in here).
        SIGNON_SESSION_COOKIE_SECURE="false",
        # Every repeat is past the re-send interval, as for an address that
        # signed earlier than 15 minutes ago. (Within the interval a repeat
        # queues no email; --set CONFIRM_RESEND_INTERVAL=900 times that.)
        SIGNON_CONFIRM_RESEND_INTERVAL="0",
    )
    env.update({f"SIGNON_{name}": value for name, value in extra.items()})
    return env


def flask(env: dict[str, str], *args: str) -> None:
    """Run ``flask --app wsgi ARGS`` to its end; RunFailed with its output if it fails."""
    command = [str(BIN / "flask"), "--app", "wsgi", *args]
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RunFailed(f"`flask {' '.join(args)}` did not finish in 120 s") from None
    if done.returncode != 0:
        raise RunFailed(
            f"`flask {' '.join(args)}` failed (exit {done.returncode}):\n"
            f"{done.stdout}{done.stderr}".rstrip()
        )


# Two questions of the statement's own (--questions): a new signature then
# also stores answers, which a repeat must be seen to pay for as well.
ADD_QUESTIONS = f"""
import json
from signon import create_app
from signon.database import write_transaction
from signon.extensions import db
from signon.models import QuestionKind, Statement
from signon.services import questions

with create_app().app_context():
    statement = db.session.scalar(db.select(Statement).where(Statement.slug == "{SLUG}"))
    with write_transaction():
        members = questions.add(
            statement, None, label="Members", kind=QuestionKind.number, required=True
        )
        region = questions.add(
            statement, None, label="Region", kind=QuestionKind.choice,
            options=["North", "South"], public=True,
        )
    print(json.dumps({{members.field_name: "1200", region.field_name: "South"}}))
"""


def add_questions(env: dict[str, str]) -> dict[str, str]:
    """Give the statement two questions; the answers every POST then sends, by field."""
    done = subprocess.run(
        [sys.executable, "-c", ADD_QUESTIONS],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RunFailed(f"adding the questions failed:\n{done.stdout}{done.stderr}".rstrip())
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_gunicorn(env: dict[str, str], port: int, logs: Path) -> Process:
    """``gunicorn --workers 2 --bind 127.0.0.1:PORT wsgi:app``, answering /healthz."""
    command = [
        str(BIN / "gunicorn"),
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "--no-control-socket",  # gunicorn 27's default is one per user, shared
        "wsgi:app",
    ]
    server = Process(f"gunicorn-{port}", command, env, logs)
    popen = server.popen
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if popen.poll() is not None:
                raise RunFailed(f"gunicorn exited at start-up (exit {popen.returncode})")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if request(port, "GET", "/healthz", None, {})[0] == 200:
                    return server
            time.sleep(0.1)
        raise RunFailed(f"gunicorn did not answer /healthz within {START_TIMEOUT:.0f} s")
    except BaseException:
        server.stop()
        raise


# --- requests --------------------------------------------------------------


def request(
    port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, float]:
    """One request on a new connection: (status, seconds from connect to last byte).

    A new connection per request because gunicorn's default (sync) workers,
    which production runs, close every connection after one response: they
    do no keep-alive. So each time includes a loopback TCP connect, the same
    for every kind of request, as it is for a real client.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        start = time.perf_counter()
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
        return response.status, elapsed
    finally:
        connection.close()


@dataclass
class Client:
    """Sends the benchmark's requests and keeps every unexpected outcome."""

    port: int
    errors: list[str] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)  # to the statement's questions

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sign(self, email: str, number: int) -> float:
        """POST the form with ``email``; seconds taken. Not a 303 is an error."""
        form = {
            **FORM,
            **self.answers,
            "org_name": f"Timing Collective {number:05d}",
            "contact_email": email,
        }
        body = urllib.parse.urlencode(form).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            # The form's same-origin check: a browser on our page sends this.
            "Origin": self.origin,
        }
        return self._send("POST", f"/s/{SLUG}/sign", body, headers, 303)

    def health(self) -> float:
        """GET /healthz; seconds taken. Not a 200 is an error."""
        return self._send("GET", "/healthz", None, {}, 200)

    def _send(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str], want: int
    ) -> float:
        try:
            status, elapsed = request(self.port, method, path, body, headers)
        except (OSError, http.client.HTTPException) as exc:
            self._error(f"{method} {path}: {type(exc).__name__}: {exc}")
            return math.nan
        if status != want:
            self._error(f"{method} {path}: status {status}, expected {want}")
        return elapsed

    def _error(self, message: str) -> None:
        self.errors.append(message)
        if len(self.errors) >= MAX_ERRORS:
            raise TooManyErrors


def address(kind: str, number: int) -> str:
    """A distinct address; every kind has four letters, so all have one length."""
    return f"{kind}-{number:05d}@example.org"


@dataclass
class Samples:
    """Request times in seconds, one entry per round for each kind."""

    new: list[float] = field(default_factory=list)
    repeat: list[float] = field(default_factory=list)
    health: list[float] = field(default_factory=list)


def measure(
    client: Client,
    pairs: int,
    existing: int,
    warmup: int,
    rng: random.Random,
    control: bool = False,
) -> Samples:
    """Warm up, sign ``existing`` addresses, then time ``pairs`` shuffled rounds.

    ``control``: the "new" POST of each round uses another already-signed
    address instead (an A/A run, which should show no difference).
    """
    # Warm-up (discarded): new and repeated signatures and /healthz, so every
    # path's code, templates and queries are loaded in the workers.
    for i in range(warmup):
        step = i % 3
        if step == 0:
            client.sign(address("warm", i), i)
        elif step == 1:
            client.sign(address("warm", i - 1), i - 1)
        else:
            client.health()
    for i in range(existing):
        client.sign(address("seen", i), i)

    samples = Samples()
    gc.collect()
    gc.disable()  # no collection pauses of this client inside a timed request
    try:
        for i in range(pairs):
            order = ["new", "repeat", "health"]
            rng.shuffle(order)
            for kind in order:
                if kind == "new":
                    email = address("anew", i)
                    if control:
                        email = address("seen", (i + existing // 2) % existing)
                    samples.new.append(client.sign(email, i))
                elif kind == "repeat":
                    samples.repeat.append(client.sign(address("seen", i % existing), i))
                else:
                    samples.health.append(client.health())
    finally:
        gc.enable()
    return samples


# --- statistics ------------------------------------------------------------


def binomial_cdf_terms(n: int) -> Iterator[float]:
    """P(B <= 0), P(B <= 1), ... for B ~ Binomial(n, 1/2), exactly computed."""
    total = 2**n
    cumulative = 0
    for k in range(n + 1):
        cumulative += math.comb(n, k)
        yield cumulative / total


def sign_test_p(successes: int, n: int) -> float:
    """Two-sided sign-test p-value of ``successes`` out of ``n`` against 1/2."""
    if n == 0:
        return 1.0
    cdf = list(binomial_cdf_terms(n))
    low = cdf[successes]  # P(B <= s)
    high = cdf[n - successes]  # P(B >= s) = P(B <= n - s) by symmetry
    return min(1.0, 2 * min(low, high))


def median_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """A distribution-free confidence interval of the median of ``values``.

    [x(k), x(n+1-k)] of the sorted values, with k the largest order for
    which P(B <= k-1) <= alpha/2, B ~ Binomial(n, 1/2): the median lies
    below x(k) only if fewer than k values do, so the interval misses it
    with probability at most alpha. None when n is too small for any k.
    """
    ordered = sorted(values)
    n = len(ordered)
    half_alpha = (1 - confidence) / 2
    k = 0  # becomes the first k with P(B <= k) > alpha/2
    for probability in binomial_cdf_terms(n):
        if probability > half_alpha:
            break
        k += 1
    if k == 0:
        return None
    return ordered[k - 1], ordered[n - k]


@dataclass(frozen=True)
class Summary:
    median: float
    p90: float
    mean: float


def summarise(seconds: list[float]) -> Summary:
    ms = [s * 1000 for s in seconds]
    return Summary(
        median=statistics.median(ms),
        p90=statistics.quantiles(ms, n=10, method="inclusive")[-1],
        mean=statistics.fmean(ms),
    )


def report(
    samples: Samples, pairs: int, max_share: float | None, max_difference: float | None = None
) -> bool:
    """Print the table; whether the run is within ``max_share`` and ``max_difference``.

    The share of pairs says how consistent a difference is, not how large:
    on a quiet machine even the few microseconds of storing a new row make
    most pairs agree. ``max_difference`` bounds the size instead, as a share
    of the /healthz median: what a gate in CI should hold.
    """
    new, repeat, health = (
        summarise(samples.new),
        summarise(samples.repeat),
        summarise(samples.health),
    )
    differences = [(a - b) * 1000 for a, b in zip(samples.new, samples.repeat, strict=True)]
    slower = sum(d > 0 for d in differences)
    ties = sum(d == 0 for d in differences)
    share = (slower + ties / 2) / len(differences)
    p_value = sign_test_p(slower, len(differences) - ties)
    interval = median_interval(differences)

    print()
    print(f"{'':<18}{'median':>8}{'p90':>8}{'mean':>8}   x healthz   (ms, {pairs} rounds)")
    for label, row in (
        ("new address", new),
        ("already signed", repeat),
        ("GET /healthz", health),
    ):
        ratio = row.median / health.median
        print(f"{label:<18}{row.median:8.2f}{row.p90:8.2f}{row.mean:8.2f}   {ratio:9.2f}")
    print()
    ratio = new.median / repeat.median
    print(f"median(new) / median(repeat)   {ratio:.2f}   (1.00 = no difference)")
    print(
        f"pairs where new was slower     {share * 100:.1f} %   ({slower} of {len(differences)};"
        f" 50 % = no signal; sign test p = {p_value:.2g})"
    )
    diff = statistics.median(differences)
    ci = "n/a" if interval is None else f"{interval[0]:+.2f} to {interval[1]:+.2f} ms"
    print(f"median difference new-repeat   {diff:+.2f} ms   (95 % CI {ci})")
    print("errors                         0   (every POST 303, every /healthz 200)")
    within = True
    if max_share is not None:
        verdict = "ok" if share <= max_share else "EXCEEDED"
        print(f"--max-share {max_share:.2f}               {verdict}")
        within = within and share <= max_share
    if max_difference is not None:
        limit = max_difference * health.median
        verdict = "ok" if diff <= limit else "EXCEEDED"
        print(f"--max-difference {max_difference:.2f}          {verdict} (≤ {limit:+.2f} ms)")
        within = within and diff <= limit
    return within


# --- main ------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time sign-on POSTs for new and already-signed addresses under gunicorn.",
        epilog="Exit status: 0 ok, 1 --max-share exceeded, 2 the run failed.",
    )
    parser.add_argument("--pairs", type=int, help="timed rounds (default 200, 40 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a short run for CI (40 pairs)")
    parser.add_argument(
        "--existing",
        type=int,
        help="addresses signed before timing (default: one per pair, each probed once)",
    )
    parser.add_argument("--warmup", type=int, default=30, help="discarded requests (30)")
    parser.add_argument(
        "--max-share",
        type=float,
        metavar="SHARE",
        help="exit 1 if the share of pairs where new was slower exceeds this, e.g. 0.65",
    )
    parser.add_argument(
        "--max-difference",
        type=float,
        metavar="SHARE",
        help="exit 1 if the median difference new-repeat exceeds this share of the "
        "/healthz median, e.g. 0.15",
    )
    parser.add_argument(
        "--control",
        action="store_true",
        help='A/A check of the method: the "new" POST also uses an already-signed address',
    )
    parser.add_argument("--seed", type=int, help="seed of the request order (default: random)")
    parser.add_argument(
        "--questions",
        action="store_true",
        help="the statement asks two questions of its own, and every POST answers them",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra app setting, as SIGNON_NAME=VALUE (repeatable)",
    )
    args = parser.parse_args(argv)
    if args.pairs is None:
        args.pairs = 40 if args.quick else 200
    if args.existing is None:
        args.existing = args.pairs
    if args.pairs < 10 or args.existing < 1 or args.warmup < 0:
        parser.error("--pairs must be at least 10, --existing at least 1, --warmup at least 0")
    if args.max_share is not None and not 0 <= args.max_share <= 1:
        parser.error("--max-share is a share between 0 and 1, e.g. 0.65")
    if args.max_difference is not None and args.max_difference < 0:
        parser.error("--max-difference is a share of /healthz's median, e.g. 0.15")
    settings = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--set wants NAME=VALUE, not {item!r}")
        settings[name.removeprefix("SIGNON_")] = value
    args.settings = settings
    return args


def on_sigterm(signum: int, _frame: FrameType | None) -> None:
    # As Ctrl-C does: unwind, so that the finally blocks stop gunicorn.
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    for tool in ("flask", "gunicorn"):
        if not (BIN / tool).exists():
            raise RunFailed(
                f"no {tool} next to {sys.executable}; run this with the project's "
                "virtualenv: .venv/bin/python bench/signing_timing.py"
            )
    seed = args.seed if args.seed is not None else secrets.randbits(32)
    with tempfile.TemporaryDirectory(prefix="signon-bench-") as tmp:
        instance = Path(tmp)
        statement = instance / "statement.md"
        statement.write_text(STATEMENT_FILE, "utf-8")
        secret = secrets.token_hex(32)
        port = free_port()
        env = app_env(instance, port, secret, args.settings)
        flask(env, "db", "upgrade")
        flask(env, "statements", "import", str(statement))
        answers = add_questions(env) if args.questions else {}

        server = None
        for _attempt in range(3):  # the free port may be taken before gunicorn binds it
            try:
                server = start_gunicorn(env, port, instance)
                break
            except RunFailed as exc:
                stderr = (instance / f"gunicorn-{port}.stderr").read_text("utf-8", "replace")
                if "Address already in use" not in stderr:
                    raise RunFailed(
                        f"{exc}. Its stderr:\n{stderr.rstrip()}\n\n"
                        "If production mode now refuses an http:// BASE_URL or its Secure "
                        "cookies, try --set SESSION_COOKIE_SECURE=false."
                    ) from None
                port = free_port()
                env = app_env(instance, port, secret, args.settings)
        if server is None:
            raise RunFailed("no free port for gunicorn after 3 attempts")

        try:
            print(
                f"gunicorn: {WORKERS} sync workers on 127.0.0.1:{port}, SQLite, production "
                f"mode, rate limits off; a new connection per request; seed {seed}"
            )
            print(
                f"{args.warmup} warm-up requests, {args.existing} addresses signed first, "
                f"{args.pairs} rounds of new / already signed / healthz in random order"
            )
            if args.control:
                print(
                    'control run: the "new" POSTs use already-signed addresses too (expect 50 %)'
                )
            client = Client(port, answers=answers)
            if answers:
                print("the statement asks two questions; every POST answers both")
            samples = Samples()
            started = time.monotonic()
            with contextlib.suppress(TooManyErrors):
                samples = measure(
                    client,
                    args.pairs,
                    args.existing,
                    args.warmup,
                    random.Random(seed),
                    control=args.control,
                )
            elapsed = time.monotonic() - started
        finally:
            server.stop()
        log = server.stderr

    print(f"all requests took {elapsed:.1f} s")
    if elapsed > RESEND_INTERVAL * 0.9:
        print(
            "warning: the run took nearly CONFIRM_RESEND_INTERVAL (15 minutes): late repeats "
            "may have re-sent a confirmation instead of taking the usual repeat path"
        )
    if client.errors:
        stopped = " (the run stopped there)" if len(client.errors) >= MAX_ERRORS else ""
        print(f"\nerrors: {len(client.errors)} requests failed{stopped}:")
        for error, count in Counter(client.errors).most_common(10):
            print(f"  {count:4d} x {error}")
        if "Traceback" in log:
            print(f"\ngunicorn's stderr (the end):\n{log[-3000:].rstrip()}")
        print("\nThe run failed: its figures are not reported.", file=sys.stderr)
        return 2
    within = report(samples, args.pairs, args.max_share, args.max_difference)
    return 0 if within else 1


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, on_sigterm)
    try:
        return run(args)
    except RunFailed as exc:
        print(f"signing_timing: the run failed: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("signing_timing: interrupted; everything it started is stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
