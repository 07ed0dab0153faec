"""The second factor's two pages: enrolment (QR code, then a first code) and verification."""

import base64
from urllib.parse import urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from actors.security import services
from actors.security.forms import TokenForm
from actors.security.selectors import totp_device_for_user, two_factor_required
from config.exceptions import ApplicationError


def _next_url(request: HttpRequest) -> str:
    url = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("home")


def _with_next(request: HttpRequest, name: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': _next_url(request)})}"


def _mark_verified(request: HttpRequest, device: TOTPDevice) -> None:
    # A new session key for the raised privilege, as Django does at password login.
    request.session.cycle_key()
    django_otp.login(request, device)


def _qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as an SVG QR code, drawn here: no outside service sees the secret."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    svg = image.to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _secret_for_typing(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
def enrol(request: HttpRequest) -> HttpResponse:
    if not two_factor_required(request=request):
        return redirect("home")
    if totp_device_for_user(user=request.user, confirmed=True):
        return redirect(_with_next(request, "two_factor:verify"))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_enrolment_confirm(
                user=request.user, token=form.cleaned_data["token"]
            )
        except ApplicationError as exc:
            form.add_error("token", exc.message)
        else:
            _mark_verified(request, device)
            messages.success(request, _("Tvåfaktorinloggning är aktiverad för ditt konto."))
            return redirect(_next_url(request))
    try:
        device = services.totp_enrolment_start(user=request.user)
    except ApplicationError:
        # Confirmed in another tab since the check above.
        return redirect(_with_next(request, "two_factor:verify"))
    return render(
        request,
        "two_factor/enrol.html",
        {
            "form": form,
            "next": _next_url(request),
            "qr_code": _qr_data_uri(device),
            "secret": _secret_for_typing(device),
        },
    )


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    if not two_factor_required(request=request) or request.user.is_verified():
        return redirect(_next_url(request))
    if totp_device_for_user(user=request.user, confirmed=True) is None:
        return redirect(_with_next(request, "two_factor:enrol"))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.two_factor_verify(user=request.user, token=form.cleaned_data["token"])
        except ApplicationError as exc:
            form.add_error("token", exc.message)
        else:
            _mark_verified(request, device)
            return redirect(_next_url(request))
    return render(request, "two_factor/verify.html", {"form": form, "next": _next_url(request)})


def lockout(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE): Swedish, and never names the account."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "registration/lockout.html", context, status=429)
