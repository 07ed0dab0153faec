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
