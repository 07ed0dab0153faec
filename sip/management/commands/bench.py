"""Benchmark at scale (not a test): pages, the deadline sweep, a load test and peak memory.

Run it on a database filled by generate_scale_data; it prints Markdown tables and writes them
into docs/performance.md between the bench markers. Nothing it does changes the SIP data: pages
are read, the sweep is rolled back, the load test only reads. It does leave what reading leaves:
access-log entries and sessions, and a confirmed TOTP device ("bench") for each manager or admin
it signs in, whose sessions it marks as verified with the second factor.

Pages come from the registry `PAGES`: a page is one entry (URL builder, viewing user, main
selector call). A page whose URL name is not installed (e.g. on another branch) is skipped with
a note.
"""

import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from actors.models import Membership, User
from actors.selectors import user_roles
from deadlines import calendar
from deadlines.models import Deadline
from deadlines.selectors import (
    deadline_breaches_per_week,
    deadline_list_overdue,
    deadline_overdue_counts,
    managed_scope,
    overdue_rows,
)
from deadlines.views import OVERDUE_PAGE_SIZE
from sip.deviations.selectors import report_inbox, report_rows
from sip.deviations.views import PAGE_SIZE as DEVIATIONS_PER_PAGE
from sip.management.commands.generate_scale_data import STATS_FILE
from sip.models import Case
from sip.selectors import case_detail, case_get_for_user
from sip.statistics.forms import ReportForm
from sip.statistics.selectors import statistics_report, statistics_scopes_for_user
from sip.statistics.views import FRESH as STATISTICS_FRESH
from sip.statistics.views import ROWS_PER_PAGE as STATISTICS_ROWS_PER_PAGE
from sip.workspace.selectors import CaseFilters, case_worklist, case_worklist_ids
from sip.workspace.views import CASES_PER_PAGE

MARK_START = "<!-- bench:start -->"
MARK_END = "<!-- bench:end -->"
# The targets.
PAGE_P95_MS = 150
PAGE_SQL_RATIO = 3
SWEEP_RATIO = 1.5
LOAD_P99_MS = 500
SWEEP_RSS_MB = 300
WORKER_RSS_MB = 250
GENERATOR_RSS_MB = 2048


@dataclass(frozen=True)
class Cast:
    """Who and what the pages are measured with: the busiest unit's people and its richest case.

    The busiest unit convenes the most cases, so its coordinator's lists are the longest."""

    coordinator: User
    manager: User
    case: Case
    # A directory admin (generate_scale_data makes one), for the national statistics report.
    admin: User | None = None

    @property
    def statistics_year(self) -> int:
        """The last whole calendar year: generated cases span the two and a half years before."""
        return timezone.localdate().year - 1


@dataclass(frozen=True)
class Page:
    url: Callable[[Cast], str]
    user: Callable[[Cast], User]
    # The page's unavoidable reads, through its own selectors: their SQL, replayed directly,
    # is the floor the page is compared with.
    main_sql: Callable[[Cast], object]


def _case_list_main(cast: Cast) -> object:
    ids = case_worklist_ids(user=cast.coordinator, filters=CaseFilters())
    page = Paginator(ids, CASES_PER_PAGE).get_page(1)
    return case_worklist(user=cast.coordinator, ids=page.object_list)


def _case_detail_main(cast: Cast) -> object:
    return case_detail(case=case_get_for_user(user=cast.case.coordinator, pk=cast.case.pk))


def _overdue_main(cast: Cast) -> object:
    """The manager's units and members, the counts (which are also the page's total), the first
    page with its subjects and the agreements' closed days, and the chart."""
    now = timezone.now()
    scope = managed_scope(user=cast.manager)
    deadlines = deadline_list_overdue(scope=scope, now=now)
    counts = deadline_overdue_counts(deadlines=deadlines)
    rows = overdue_rows(deadlines=deadlines[:OVERDUE_PAGE_SIZE], today=calendar.local_date(now))
    return rows, counts, deadline_breaches_per_week(scope=scope, now=now)


def _deviation_inbox_main(cast: Cast) -> object:
    reports = report_inbox(user=cast.manager)
    return report_rows(Paginator(reports, DEVIATIONS_PER_PAGE).get_page(1))


def _statistics_main(user: User, year: int, *, fresh: bool = False) -> object:
    """The report's reads: with the cache warm only the scope look-up; `fresh` computes it."""
    scopes = statistics_scopes_for_user(user=user)
    form = ReportForm({"year": str(year)}, scopes=scopes)
    if not form.is_valid():
        raise CommandError(f"The statistics form refused the year {year}: {form.errors}")
    return statistics_report(
        user=user,
        query=form.report_query(),
        scopes=scopes,
        rows=slice(0, STATISTICS_ROWS_PER_PAGE),
        fresh=fresh,
    )


def _statistics_url(cast: Cast, *, fresh: bool = False) -> str:
    """The last year's report; `fresh` asks for it computed anew ("Beräkna om nu") on every
    request, so that each timed request is a cold one."""
    url = f"{reverse('sip:statistics')}?year={cast.statistics_year}"
    return f"{url}&{STATISTICS_FRESH}=1" if fresh else url


def _admin(cast: Cast) -> User:
    if cast.admin is None:
        raise CommandError("No directory admin: generate_scale_data makes skala.admin.")
    return cast.admin


PAGES: dict[str, Page] = {
    "Mina ärenden": Page(
        url=lambda cast: reverse("sip:case_list"),
        user=lambda cast: cast.coordinator,
        main_sql=_case_list_main,
    ),
    "Ärendesida": Page(
        url=lambda cast: reverse("sip:case_detail", args=[cast.case.pk]),
        user=lambda cast: cast.case.coordinator,
        main_sql=_case_detail_main,
    ),
    "Försenade frister (chef)": Page(
        url=lambda cast: reverse("deadlines:overdue"),
        user=lambda cast: cast.manager,
        main_sql=_overdue_main,
    ),
    "Avvikelseinkorg (chef)": Page(
        url=lambda cast: reverse("sip:deviation_inbox"),
        user=lambda cast: cast.manager,
        main_sql=_deviation_inbox_main,
    ),
    # Served from the cache (the warm-up requests fill it): their main SQL is the scope look-up.
    "Indikatorrapport, ett år (chef)": Page(
        url=_statistics_url,
        user=lambda cast: cast.manager,
        main_sql=lambda cast: _statistics_main(cast.manager, cast.statistics_year),
    ),
    "Indikatorrapport, ett år (hela landet, admin)": Page(
        url=_statistics_url,
        user=_admin,
        main_sql=lambda cast: _statistics_main(_admin(cast), cast.statistics_year),
    ),
    # The same report computed anew on every request: what a visit finding no cached report waits.
    "Indikatorrapport, ett år (hela landet, kall)": Page(
        url=lambda cast: _statistics_url(cast, fresh=True),
        user=_admin,
        main_sql=lambda cast: _statistics_main(_admin(cast), cast.statistics_year, fresh=True),
    ),
}
# The page the load test hammers.
LOAD_PAGE = "Mina ärenden"


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table; columns holding only numbers are right-aligned."""
    rows = [list(row) for row in rows]
    numeric = [
        bool(rows)
        and all(
            value is None or (isinstance(value, int | float) and not isinstance(value, bool))
            for value in (row[i] for row in rows)
        )
        for i in range(len(headers))
    ]
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---:" if right else "---" for right in numeric) + "|",
    ]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|")


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value at or above `share` of the sorted values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def available_pages(pages: dict[str, Page], cast: Cast) -> tuple[dict[str, str], list[str]]:
    """The URL of every page whose URL name resolves, and a note for each one that does not."""
    urls, notes = {}, []
    for name, page in pages.items():
        try:
            urls[name] = page.url(cast)
        except NoReverseMatch as exc:
            notes.append(f"{name}: skipped, its URL is not installed here ({exc}).")
    return urls, notes


def login(client: Client, user: User) -> None:
    """Sign the user in on the client; a manager or admin also with the second factor passed,
    as django_otp.login records it (the session holds the device's persistent id), so the
    2FA middleware lets them through to the page instead of the verification step."""
    client.force_login(user)
    roles = user_roles(user=user)
    if not (roles.is_manager or roles.is_admin):
        return
    device, _created = TOTPDevice.objects.get_or_create(
        user=user, name="bench", defaults={"confirmed": True}
    )
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def write_report(path: Path, report: str) -> None:
    """Replace what lies between the bench markers (or append the block) and keep the rest."""
    block = f"{MARK_START}\n{report.strip()}\n{MARK_END}"
    text = path.read_text() if path.exists() else ""
    if MARK_START in text and MARK_END in text:
        before, rest = text.split(MARK_START, 1)
        after = rest.split(MARK_END, 1)[1]
        text = f"{before}{block}{after}"
    else:
        text = f"{text.rstrip()}\n\n{block}\n" if text else f"{block}\n"
    path.write_text(text)


class Command(BaseCommand):
    help = "Benchmark pages, the deadline sweep and Mina ärenden under load; write the tables."

    def add_arguments(self, parser):
        parser.add_argument("--requests", type=int, default=50, help="Timed requests per page.")
        parser.add_argument("--load-seconds", type=int, default=30)
        parser.add_argument(
            "--connections", type=int, default=4, help="wrk connections (two per worker)."
        )
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
        parser.add_argument("--sweep-repeat", type=int, default=2)
        parser.add_argument("--skip-sweep", action="store_true")
        parser.add_argument("--skip-load", action="store_true")
        parser.add_argument("--output", default=str(settings.BASE_DIR / "docs" / "performance.md"))

    def handle(self, *args, **options):
        if options["requests"] < 1:
            raise CommandError("--requests must be at least 1.")
        load_before = os.getloadavg()
        cast = self._cast()
        urls, notes = available_pages(PAGES, cast)
        for note in notes:
            self.stdout.write(note)
        sections = [self._machine(load_before)]
        sections.append(self._pages(cast, urls, options["requests"]))
        sweep = None if options["skip_sweep"] else self._sweep(options["sweep_repeat"])
        if sweep:
            sections.append(self._sweep_table(sweep))
        load = None
        if not options["skip_load"] and LOAD_PAGE in urls:
            load = self._load(cast, urls[LOAD_PAGE], options)
            sections.append(load["table"])
        sections.append(self._memory(sweep, load))
        if load and load.get("note"):
            notes.append(load["note"])
        if notes:
            sections.append("\n".join(f"- {note}" for note in notes))
        sections.append(f"Load average after the run: {_loadavg(os.getloadavg())}.")
        report = "\n\n".join(sections)
        self.stdout.write(report)
        write_report(Path(options["output"]), report)
        self.stdout.write(f"\nwritten to {options['output']}")

    # --- what is measured with -----------------------------------------------------------------

    def _cast(self) -> Cast:
        busiest = (
            Case.objects.values("convening_unit")
            .annotate(n=Count("id"))
            .order_by("-n", "convening_unit")
            .first()
        )
        if busiest is None:
            raise CommandError("No cases: fill the database with generate_scale_data first.")
        unit = busiest["convening_unit"]

        def member(role: str) -> User:
            return (
                Membership.objects.filter(unit_id=unit, role=role, is_active=True)
                .select_related("user")
                .order_by("pk")
                .first()
                .user
            )

        case = (
            Case.objects.filter(convening_unit_id=unit)
            .annotate(meetings_count=Count("meetings"))
            .order_by("-meetings_count", "pk")
            .select_related("coordinator")
            .first()
        )
        return Cast(
            coordinator=member(Membership.Role.COORDINATOR),
            manager=member(Membership.Role.MANAGER),
            case=case,
            admin=User.objects.filter(is_staff=True, is_active=True).order_by("pk").first(),
        )

    def _machine(self, load_before: tuple[float, float, float]) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            postgres = cursor.fetchone()[0]
        stats = _generator_stats()
        data = (
            f"{stats['scale']} scale from generate_scale_data"
            if stats
            else "generator statistics not found"
        )
        return "\n".join(
            [
                f"Measured {timezone.localtime():%Y-%m-%d %H:%M} on {os.cpu_count()} cores, "
                f"{_memory_gb():.0f} GB memory, PostgreSQL {postgres}, "
                f"settings `{settings.SETTINGS_MODULE}` (DEBUG {settings.DEBUG}).",
                f"Data: {Case.objects.count():,} cases, {Deadline.objects.count():,} deadlines "
                f"({data}). Load average before the run: {_loadavg(load_before)}.",
            ]
        )

    # --- pages -----------------------------------------------------------------------------------

    def _pages(self, cast: Cast, urls: dict[str, str], requests: int) -> str:
        rows = []
        for name, url in urls.items():
            page = PAGES[name]
            client = Client(HTTP_HOST="localhost")
            login(client, page.user(cast))
            for _ in range(5):  # warm caches, connections and templates
                self._get(client, url)
            # Captured after the warm-up: a cached report's main SQL is then what a visit to a
            # warm cache runs, not the computation the first request did.
            statements = self._main_sql(page, cast)
            for _ in range(5):
                self._replay(statements)
            # Each request is followed by one replay of the page's main SQL, so that page and
            # floor are timed under the same conditions: timed one after the other, a drift of
            # the machine between the two series moved the ratio by ±20 % from run to run.
            times, floors = [], []
            for _ in range(requests):
                started = time.perf_counter()
                self._get(client, url)
                times.append((time.perf_counter() - started) * 1000)
                floors.append(self._replay(statements))
            with CaptureQueriesContext(connection) as queries:
                self._get(client, url)
            floor = statistics.median(floors)
            median, p95 = statistics.median(times), percentile(times, 0.95)
            rows.append(
                [
                    name,
                    median,
                    p95,
                    len(queries),
                    floor,
                    f"{median / floor:.1f}x",
                    p95 <= PAGE_P95_MS and median <= PAGE_SQL_RATIO * floor,
                ]
            )
            self.stdout.write(f"{name}: median {median:.1f} ms, p95 {p95:.1f} ms")
        return markdown_table(
            [
                "page",
                "median ms",
                "p95 ms",
                "queries",
                "main SQL ms",
                "page / SQL",
                f"p95 ≤ {PAGE_P95_MS} ms, ≤ {PAGE_SQL_RATIO}x SQL",
            ],
            rows,
        )

    def _get(self, client: Client, url: str) -> None:
        response = client.get(url, secure=True)
        if response.status_code != 200:
            raise CommandError(f"{url} answered {response.status_code}.")

    def _main_sql(self, page: Page, cast: Cast) -> list[str]:
        """The page's main SQL: the statements its selectors run, as sent to the database."""
        with CaptureQueriesContext(connection) as captured:
            page.main_sql(cast)
        return [query["sql"] for query in captured.captured_queries]

    def _replay(self, statements: list[str]) -> float:
        """Milliseconds to run the statements directly on a cursor and fetch their rows."""
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                # BEGIN, COMMIT and set_config around a report return no rows to fetch.
                if cursor.description is not None:
                    cursor.fetchall()
        return (time.perf_counter() - started) * 1000

    # --- the sweep -------------------------------------------------------------------------------

    def _sweep(self, repeat: int) -> dict:
        """bench_sweep --existing in its own process, so its peak memory is the sweep's alone."""
        result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [
                sys.executable,
                str(settings.BASE_DIR / "manage.py"),
                "bench_sweep",
                "--existing",
                "--json",
                f"--repeat={repeat}",
            ],
            env={**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE},
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout.strip().splitlines()[-1])

    def _sweep_table(self, sweep: dict) -> str:
        ratio = sweep["sweep_s"] / sweep["update_s"]
        return markdown_table(
            ["deadline sweep", "seconds", "rows", f"ratio (target ≤ {SWEEP_RATIO}x)"],
            [
                [
                    f"deadline_sweep over {sweep['open']:,} open deadlines",
                    sweep["sweep_s"],
                    f"{sweep['breached']:,} breached, {sweep['reminded']:,} reminded, "
                    f"{sweep['escalated']:,} escalated",
                    f"{ratio:.2f}x {'✓' if ratio <= SWEEP_RATIO else '✗'}",
                ],
                ["single UPDATE (breach only)", sweep["update_s"], f"{sweep['updated']:,}", ""],
            ],
        )

    # --- load ------------------------------------------------------------------------------------

    def _load(self, cast: Cast, url: str, options: dict) -> dict:
        wrk = shutil.which("wrk")
        if wrk is None:
            return {
                "table": "",
                "note": "wrk is not installed (apt-get install wrk): no load test.",
            }
        cookies = self._sessions(cast)
        port = _free_port()
        with tempfile.TemporaryDirectory() as tmp:
            server = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    f"--workers={options['workers']}",
                    f"--bind=127.0.0.1:{port}",
                    f"--error-logfile={tmp}/gunicorn.log",
                ],
                cwd=settings.BASE_DIR,
                env={**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE},
            )
            try:
                target = f"http://127.0.0.1:{port}{url}"
                self._wait_until_up(target, cookies[0])
                script = Path(tmp) / "sessions.lua"
                script.write_text(_wrk_script(cookies))
                output = subprocess.run(  # noqa: S603 - wrk with our own arguments
                    [
                        wrk,
                        "--threads=2",
                        f"--connections={options['connections']}",
                        f"--duration={options['load_seconds']}s",
                        "--timeout=10s",
                        "--latency",
                        f"--script={script}",
                        target,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                workers_rss = [_peak_rss_mb(pid) for pid in _children(server.pid)]
            finally:
                server.terminate()
                server.wait(timeout=30)
        try:
            figures = parse_wrk(output)
        except (AttributeError, KeyError):
            raise CommandError(f"Could not read the wrk output:\n{output}") from None
        figures["worker_rss_mb"] = max(workers_rss, default=None)
        figures["table"] = markdown_table(
            [
                f"{LOAD_PAGE} under wrk ({options['connections']} connections, "
                f"{options['load_seconds']} s, gunicorn {options['workers']} workers)",
                "requests/s",
                "p50 ms",
                "p99 ms",
                "requests",
                "errors",
                f"0 errors, p99 ≤ {LOAD_P99_MS} ms",
            ],
            [
                [
                    f"{len(cookies)} coordinators of the busiest units",
                    figures["requests_per_s"],
                    figures["p50_ms"],
                    figures["p99_ms"],
                    figures["requests"],
                    figures["errors"],
                    figures["errors"] == 0 and figures["p99_ms"] <= LOAD_P99_MS,
                ]
            ],
        )
        return figures

    def _sessions(self, cast: Cast) -> list[str]:
        """Session cookies of the busiest units' coordinators: one user per connection, as in
        real use (a session row is rewritten on every request)."""
        busiest_units = (
            Case.objects.values_list("convening_unit", flat=True)
            .annotate(n=Count("id"))
            .order_by("-n", "convening_unit")[:20]
        )
        users = [
            membership.user
            for membership in Membership.objects.filter(
                unit_id__in=list(busiest_units), role=Membership.Role.COORDINATOR
            )
            .select_related("user")
            .order_by("unit_id", "pk")[:20]
        ] or [cast.coordinator]
        cookies = []
        for user in users:
            client = Client()
            login(client, user)
            cookies.append(
                f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
            )
        return cookies

    def _wait_until_up(self, url: str, cookie: str) -> None:
        """Wait for gunicorn, and check that the session reaches the page (200, no redirect)."""
        request = urllib.request.Request(  # noqa: S310 - our own local server
            url, headers={"Cookie": cookie, "X-Forwarded-Proto": "https"}
        )
        limit = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                    if response.status == 200 and response.geturl() == url:
                        return
                    raise CommandError(f"{url} answered {response.status} at {response.geturl()}")
            except OSError:
                if time.monotonic() > limit:
                    raise CommandError("gunicorn did not come up within a minute.") from None
                time.sleep(0.5)

    # --- memory ----------------------------------------------------------------------------------

    def _memory(self, sweep: dict | None, load: dict | None) -> str:
        stats = _generator_stats()
        rows = [
            _memory_row(
                "deadline sweep (bench_sweep process)", sweep and sweep["peak_rss_mb"], SWEEP_RSS_MB
            ),
            _memory_row(
                "gunicorn worker under load", load and load.get("worker_rss_mb"), WORKER_RSS_MB
            ),
            _memory_row(
                f"generate_scale_data ({stats['scale']}, {stats['seconds']:.0f} s)"
                if stats
                else "generate_scale_data",
                stats and stats["peak_rss_mb"],
                GENERATOR_RSS_MB,
            ),
        ]
        return markdown_table(["peak RSS", "MB", "target MB", "ok"], rows)


def _memory_row(name: str, value: int | None, target: int) -> list:
    return [name, value, target, None if value is None else value <= target]


def parse_wrk(output: str) -> dict:
    """requests/s, p50/p99 latency (ms), request count and errors from `wrk --latency` output."""

    def ms(text: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
        return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    latencies = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)\s*$", output, re.MULTILINE))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50_ms": ms(latencies["50"]),
        "p99_ms": ms(latencies["99"]),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in socket_errors.groups()) if socket_errors else 0),
    }


def _wrk_script(cookies: list[str]) -> str:
    """Each request takes the next session in turn, over HTTPS as the proxy would say."""
    listed = ", ".join(json.dumps(cookie) for cookie in cookies)
    return (
        f"local cookies = {{{listed}}}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        '  return wrk.format(nil, nil, {["Cookie"] = cookies[n % #cookies + 1], '
        '["X-Forwarded-Proto"] = "https"})\n'
        "end\n"
    )


def _generator_stats() -> dict | None:
    """What generate_scale_data recorded, if it filled this database."""
    path = settings.BASE_DIR / "var" / STATS_FILE
    if not path.exists():
        return None
    stats = json.loads(path.read_text())
    return stats if stats.get("database") == connection.settings_dict["NAME"] else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _peak_rss_mb(pid: int) -> int:
    """VmHWM: the highest resident set the process has had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024)
    return 0


def _memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def _loadavg(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.1f}" for value in load) + " (1 / 5 / 15 min)"
