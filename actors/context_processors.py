from django.http import HttpRequest

from actors.selectors import Roles, user_roles


def request_roles(request: HttpRequest) -> Roles:
    """The user's roles, read once per request: TwoFactorMiddleware and the templates both ask."""
    if not hasattr(request, "_samordna_roles"):
        request._samordna_roles = user_roles(user=request.user)
    return request._samordna_roles


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"roles": None}
    return {"roles": request_roles(request)}
