"""Request types for views behind ``login_required``, so that ``request.user`` is a User."""

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

if TYPE_CHECKING:
    from schulhof.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: "User"
    client_address: str | None


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Login required, then 403 for everyone but admins."""

    @functools.wraps(view)
    def wrapper(request: AuthenticatedHttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_admin:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapper)


def pdf_attachment(pdf: bytes, filename: str) -> HttpResponse:
    """A generated PDF as a download. Never cached: our PDFs carry names and passwords."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


def filename_part(name: str, fallback: str) -> str:
    """``name`` made safe for a download's file name (letters, digits, dots and dashes)."""
    return re.sub(r"[^\w.-]+", "-", name, flags=re.UNICODE).strip("-") or fallback
