import time
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from actors.security.selectors import two_factor_pending


class TwoFactorMiddleware:
    """Managers and admins pass the TOTP check after the password before any other page.

    1. Anonymous users, the login/logout pages, the 2FA pages and static files pass.
    2. So does a user who has passed the check in this session, or need not.
    3. Everyone else goes to the verification page (which sends users without a device on to
       enrolment), with the page they asked for as `next`; htmx is told to load it as a page.
    Must come after django-otp's OTPMiddleware, which gives `request.user.is_verified()`.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt_paths: tuple[str, ...] | None = None

    def _exempt(self, path: str) -> bool:
        if self._exempt_paths is None:
            self._exempt_paths = (
                reverse("login"),
                reverse("logout"),
                reverse("two_factor:enrol"),
                reverse("two_factor:verify"),
            )
        return path in self._exempt_paths or path.startswith(settings.STATIC_URL)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self._exempt(request.path_info) and two_factor_pending(request=request):
            # Only the path is carried on: a query string is never copied into another URL.
            url = f"{reverse('two_factor:verify')}?{urlencode({'next': request.path})}"
            if request.headers.get("HX-Request"):
                return HttpResponse(headers={"HX-Redirect": url})
            return redirect(url)
        return self.get_response(request)


# Seconds since the epoch of the session's last refresh, kept in the session itself.
SESSION_REFRESHED_KEY = "_samordna_refreshed"


def session_refreshed_on_login(sender, *, request, **kwargs) -> None:
    """A login saves a new session anyway: count it as the first refresh, so the first page
    after it does not write the session again."""
    if getattr(request, "session", None) is not None:
        request.session[SESSION_REFRESHED_KEY] = int(time.time())


class SessionRefreshMiddleware:
    """Slide the idle timeout without rewriting the session row on every request.

    A non-empty session is marked modified (so SessionMiddleware saves it with a new expiry and
    sends a fresh cookie) when its last refresh is SAMORDNA_SESSION_REFRESH_SECONDS or more ago.
    Must come right after SessionMiddleware, which saves on the way out.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response
        now = int(time.time())
        refreshed = session.get(SESSION_REFRESHED_KEY, 0)
        # A stamp from the future (another server's clock ahead of ours) counts as stale:
        # otherwise no server behind it would refresh, and an active user would be signed out.
        if not isinstance(refreshed, int) or not (
            0 <= now - refreshed < settings.SAMORDNA_SESSION_REFRESH_SECONDS
        ):
            session[SESSION_REFRESHED_KEY] = now
        return response
