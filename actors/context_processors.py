from django.http import HttpRequest

from actors.selectors import user_roles


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"roles": None}
    return {"roles": user_roles(user=user)}
