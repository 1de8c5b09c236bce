"""Request types for views behind ``login_required``, so that ``request.user`` is a User."""

import re
from typing import TYPE_CHECKING

from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

if TYPE_CHECKING:
    from schulhof.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: "User"
    client_address: str | None


def pdf_attachment(pdf: bytes, filename: str) -> HttpResponse:
    """A generated PDF as a download. Never cached: our PDFs carry names and passwords."""
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


def filename_part(name: str, fallback: str) -> str:
    """``name`` made safe for a download's file name (letters, digits, dots and dashes)."""
    return re.sub(r"[^\w.-]+", "-", name, flags=re.UNICODE).strip("-") or fallback
