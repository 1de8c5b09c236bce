"""Request types for views behind ``login_required``, so that ``request.user`` is a User."""

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from schulhof.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: "User"
    client_address: str | None
