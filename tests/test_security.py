"""Hardening across the site: login throttling, idle sessions, headers and CSP, templates that keep
to the CSP, production settings, and no personal data in logs, URLs or error pages."""

import datetime as dt
import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from config.log_filters import RedactPersonnummerFilter

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PASSWORD = "losenord-123"  # tests.factories.UserFactory's
PERSONNUMMER = "191212121212"


def log_in(client, user, password=PASSWORD):
    return client.post(reverse("login"), {"username": user.username, "password": password})


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- login throttling (django-axes) ---------------------------------------------------------------


def test_the_sixth_login_is_refused_in_swedish_even_with_the_right_password(client, coordinator):
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(5):
            log_in(client, coordinator, password="fel-losenord")
        clock.shift(dt.timedelta(minutes=29))

        response = log_in(client, coordinator)

        assert not is_logged_in(client)
    assert response.status_code == 429
    content = response.content.decode()
    assert "Inloggningen är tillfälligt spärrad" in content
    assert "spärrad i 30 minuter" in content
    assert coordinator.username not in content


def test_four_failures_still_let_the_right_password_in(client, coordinator):
    for _ in range(4):
        log_in(client, coordinator, password="fel-losenord")

    response = log_in(client, coordinator)

    assert response.status_code == 302
    assert is_logged_in(client)


def test_the_lockout_lifts_after_30_minutes(client, coordinator):
    with time_machine.travel(NOW, tick=False) as clock:
        for _ in range(5):
            log_in(client, coordinator, password="fel-losenord")
        clock.shift(dt.timedelta(minutes=31))

        response = log_in(client, coordinator)

        assert response.status_code == 302
        assert is_logged_in(client)


def test_the_lockout_is_per_username_and_address(client, coordinator, colleague):
    for _ in range(5):
        log_in(client, coordinator, password="fel-losenord")

    assert log_in(client, colleague).status_code == 302
    other_address = Client(REMOTE_ADDR="10.1.2.3")
    assert log_in(other_address, coordinator).status_code == 302


def test_an_admin_lifts_a_lockout_with_axes_reset_username(client, coordinator):
    for _ in range(5):
        log_in(client, coordinator, password="fel-losenord")

    call_command("axes_reset_username", coordinator.username, stdout=io.StringIO())

    assert log_in(client, coordinator).status_code == 302


# --- sessions and cookies -------------------------------------------------------------------------


def test_a_session_ends_after_30_minutes_without_a_request(client, coordinator):
    home = reverse("home")
    with time_machine.travel(NOW, tick=False) as clock:
        client.force_login(coordinator)
        # Each request starts the 30 minutes again, so an active user stays logged in.
        for _ in range(3):
            clock.shift(dt.timedelta(minutes=29))
            assert client.get(home).status_code == 200

        clock.shift(dt.timedelta(minutes=31))
        response = client.get(home)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_requests_within_a_minute_of_the_last_refresh_do_not_rewrite_the_session(
    client, coordinator
):
    home = reverse("home")
    with time_machine.travel(NOW, tick=False) as clock:
        client.force_login(coordinator)
        client.get(home)
        clock.shift(dt.timedelta(seconds=59))
        with CaptureQueriesContext(connection) as quiet:
            client.get(home)
        clock.shift(dt.timedelta(seconds=1))
        with CaptureQueriesContext(connection) as refreshing:
            client.get(home)

    def session_writes(queries):
        return [
            q for q in queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]
        ]

    assert session_writes(quiet.captured_queries) == []
    assert len(session_writes(refreshing.captured_queries)) == 1


def test_a_session_ends_30_minutes_after_its_last_refresh_never_later(client, coordinator):
    home = reverse("home")
    with time_machine.travel(NOW, tick=False) as clock:
        client.force_login(coordinator)
        assert client.get(home).status_code == 200  # refreshes: the 30 minutes start now
        clock.shift(dt.timedelta(seconds=30))
        assert client.get(home).status_code == 200  # within the minute: no refresh
        clock.shift(dt.timedelta(minutes=29, seconds=31))
        response = client.get(home)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_refresh_stamped_by_a_server_whose_clock_runs_ahead_does_not_stop_refreshes(
    client, coordinator
):
    from actors.security.middleware import SESSION_REFRESHED_KEY

    home = reverse("home")
    with time_machine.travel(NOW, tick=False) as clock:
        client.force_login(coordinator)
        session = client.session
        session[SESSION_REFRESHED_KEY] = int((NOW + dt.timedelta(minutes=40)).timestamp())
        session.save()
        # Active every five minutes for 35 minutes: the stamp from the future must not keep
        # this server from sliding the timeout.
        for _ in range(7):
            clock.shift(dt.timedelta(minutes=5))
            response = client.get(home)

    assert response.status_code == 200


def test_the_session_cookie_is_http_only_and_lives_30_minutes(client, coordinator):
    response = log_in(client, coordinator)

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 1800


# --- headers and the content security policy ------------------------------------------------------


def test_every_page_carries_the_csp_and_the_other_security_headers(client, coordinator):
    client.force_login(coordinator)

    response = client.get(reverse("home"))

    csp = response["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "object-src 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_htmx_is_told_not_to_inject_its_indicator_styles(client):
    content = client.get(reverse("login")).content.decode()

    assert '"includeIndicatorStyles": false' in content


TEMPLATE_TAGS = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}|{%.*?%}", re.S)
TEMPLATE_VARIABLES = re.compile(r"{{.*?}}", re.S)
INLINE_SCRIPT = re.compile(r"<script\b[^>]*>(?P<body>.*?)</script\s*>", re.S | re.I)
HTML_TAG = re.compile(r"<[a-zA-Z][^>]*>")
FORBIDDEN_IN_TAG = {
    "a style= attribute": re.compile(r"\sstyle\s*=", re.I),
    "an inline event handler (on...=)": re.compile(r"\son[a-z]+\s*=", re.I),
    "an hx-on attribute (needs eval)": re.compile(r"\shx-on", re.I),
    "a javascript: URL": re.compile(r"javascript:", re.I),
}


def csp_offences(text: str) -> list[str]:
    """What in a template's HTML the CSP would block. Template tags and variables are left out
    first: `{% include ... style="danger" %}` passes a variable, it is not an attribute."""
    html = TEMPLATE_VARIABLES.sub("X", TEMPLATE_TAGS.sub("", text))
    found = [
        "an inline <script> body"
        for match in INLINE_SCRIPT.finditer(html)
        if match.group("body").strip()
    ]
    if re.search(r"<style\b", html, re.I):
        found.append("a <style> element")
    for tag in HTML_TAG.findall(html):
        found += [name for name, pattern in FORBIDDEN_IN_TAG.items() if pattern.search(tag)]
    return found


def served_templates() -> list[Path]:
    """Every template the site renders. E-mail templates are left out: a CSP is an HTTP header
    and never applies to a message in a mail client."""
    roots = [Path(settings.BASE_DIR) / "templates"] + [
        path for path in Path(settings.BASE_DIR).glob("*/templates") if ".venv" not in path.parts
    ]
    return sorted(
        path
        for root in roots
        for path in root.rglob("*.html")
        if "emails" not in path.relative_to(root).parts
    )


def test_no_template_has_inline_scripts_styles_or_event_handlers():
    templates = served_templates()
    assert len(templates) > 20
    offences = {
        str(path.relative_to(settings.BASE_DIR)): csp_offences(path.read_text(encoding="utf-8"))
        for path in templates
    }
    assert {path: found for path, found in offences.items() if found} == {}


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="module">\n  import x from "./x.js";\n</script>',
        "<style>.x { color: red }</style>",
        '<div class="a" style="display:none">',
        "<button onclick='go()'>",
        '<a href="javascript:void(0)">',
        '<button hx-on:click="go()">',
        '<p style="{{ css }}">',
    ],
)
def test_the_template_check_catches_what_the_csp_blocks(snippet):
    assert csp_offences(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{% static 'js/app.js' %}\"></script>",
        '{% include "sip/_step_form.html" with label=_("Avbryt") style="danger" %}',
        '{# style="x" onclick=go() #}',
        "<p>Ingen style här, och ingen onclick heller.</p>",
    ],
)
def test_the_template_check_lets_ordinary_templates_pass(snippet):
    assert csp_offences(snippet) == []


# --- production settings --------------------------------------------------------------------------


def test_the_production_settings_pass_check_deploy_without_a_warning():
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": "x7#Lq2vN!pR9sT4wZ8bC1dF6gH3jK5mQ0rU-yE+aB~iO*uV=lW@nX$zY%eS^",
            "DJANGO_ALLOWED_HOSTS": "samordna.example.se",
            "DATABASE_URL": "postgres://samordna:secret@db.invalid:5432/samordna",
            "REDIS_URL": "redis://redis.invalid:6379/0",
            "EMAIL_HOST": "smtp.invalid",
            "DJANGO_DEFAULT_FROM_EMAIL": "Samordna <noreply@example.se>",
            # Production ignores this: DEBUG stays False, or check --deploy would warn.
            "DJANGO_DEBUG": "true",
        }
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


# --- no personal data in URLs, logs or error pages ------------------------------------------------


def url_patterns(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern, prefix + str(pattern.pattern))
        else:
            assert isinstance(pattern, URLPattern)
            yield prefix + str(pattern.pattern), pattern.pattern.converters


# Non-integer path parameters that cannot carry personal data: a fixed vocabulary the view checks
# (an unknown value is a 404), or a random secret the system made.
FIXED_VOCABULARY_PARAMETERS = {
    ("sip/avvikelser/<int:pk>/<slug:step>/", "step"),  # a workflow step name
    ("sip/kalender/feed/<str:token>.ics", "token"),  # the calendar feed's random secret
    ("sip/arenden/<int:pk>/plan/rad/<str:kind>/", "kind"),  # a plan row's kind: insats or ingen
}


def test_our_urls_capture_only_integer_ids():
    """A name or a personnummer can then never be part of a path (the admin's are Django's)."""
    captured = {
        route: {
            name: type(converter).__name__
            for name, converter in converters.items()
            if (route, name) not in FIXED_VOCABULARY_PARAMETERS
        }
        for route, converters in url_patterns(get_resolver())
        if not route.startswith("admin/")
    }
    assert any(captured.values())
    assert {
        route: kinds
        for route, kinds in captured.items()
        if any(kind != IntConverter.__name__ for kind in kinds.values())
    } == {}


def console_handler() -> logging.Handler:
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(f, RedactPersonnummerFilter) for f in handler.filters)
    ]
    assert len(handlers) == 1
    return handlers[0]


def emitted(message: str, *args, exc_info=None, logger: str = "sip.services") -> str:
    handler = console_handler()
    record = logging.getLogger(logger).makeRecord(
        logger, logging.WARNING, __file__, 1, message, args, exc_info
    )
    assert handler.filter(record)
    return handler.format(record)


@pytest.mark.parametrize(
    "number",
    [
        "191212121212",
        "19121212-1212",
        "121212-1212",
        "121212+1212",
        "1212121212",
        "20100370-1238",  # samordningsnummer: day + 60
    ],
)
def test_a_logged_personnummer_is_redacted_in_every_written_form(number):
    text = emitted("Dubblett av %s vid registrering", number)

    assert number not in text
    assert "Dubblett av [personnummer] vid registrering" in text


@pytest.mark.parametrize(
    "text",
    [
        "2026-03-02 09:00:00 klart",
        "frist 12345678901234 stängd",
        "fel 20261399-1234 i månaden",
        "möte 42 hos enhet 1234",
    ],
)
def test_other_numbers_in_logs_are_left_alone(text):
    assert text in emitted(text)


def test_a_personnummer_in_a_logged_traceback_is_redacted():
    try:
        raise ValueError(f"duplicate key (id_number)=({PERSONNUMMER})")
    except ValueError:
        text = emitted("Registrering misslyckades", exc_info=sys.exc_info())

    assert "ValueError: duplicate key (id_number)=([personnummer])" in text
    assert PERSONNUMMER not in text


def test_djangos_own_loggers_write_only_through_the_redacting_handler():
    handler = console_handler()
    for name in ("django", "django.request", "django.server"):
        logger = logging.getLogger(name)
        while not logger.handlers and logger.propagate and logger.parent:
            logger = logger.parent
        # pytest adds its own capture handlers everywhere; every other handler must redact.
        ours = [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]
        assert ours == [handler], name


def test_the_404_page_is_swedish_and_shows_nothing_of_the_request(client, coordinator):
    client.force_login(coordinator)

    response = client.get(f"/sip/personer/{PERSONNUMMER}/", {"namn": "Astrid Lindqvist"})

    assert response.status_code == 404
    content = response.content.decode()
    assert "Sidan finns inte" in content
    assert PERSONNUMMER not in content
    assert "Astrid" not in content


def test_the_500_page_is_swedish_and_shows_nothing_of_the_error(client, coordinator):
    client.force_login(coordinator)
    client.raise_request_exception = False
    error = RuntimeError(f"kunde inte läsa {PERSONNUMMER}")

    with mock.patch("config.views.render", side_effect=error):
        response = client.get(reverse("home"), {"sida": "2"})

    assert response.status_code == 500
    content = response.content.decode()
    assert "Något gick fel" in content
    assert PERSONNUMMER not in content
    assert "RuntimeError" not in content


def test_the_403_page_is_swedish(client, coordinator):
    client.force_login(coordinator)

    response = client.get(reverse("actors:directory"))

    assert response.status_code == 403
    assert "Du har inte behörighet till sidan" in response.content.decode()


def test_the_400_page_is_swedish_and_does_not_echo_the_host(client):
    response = client.get(reverse("login"), headers={"host": "evil.example"})

    assert response.status_code == 400
    content = response.content.decode()
    assert "Sidan kunde inte visas" in content
    assert "evil.example" not in content


def test_a_stale_form_gets_the_swedish_csrf_page(coordinator):
    strict = Client(enforce_csrf_checks=True)

    response = log_in(strict, coordinator)

    assert response.status_code == 403
    assert "Formuläret har gått ut" in response.content.decode()
