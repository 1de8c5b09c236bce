from typing import Any

from django.http import HttpRequest

from schulhof.core.models import SchoolSettings
from schulhof.web.modules import modules_for


def portal(request: HttpRequest) -> dict[str, Any]:
    """What every page needs: the school's name and the user's modules for the navigation."""
    try:
        school = SchoolSettings.get()
    except Exception:  # the 500 page must render even when the database is down
        school = None
    user = getattr(request, "user", None)
    modules = modules_for(user) if user is not None and user.is_authenticated else []
    return {
        "school": school,
        "school_name": school.school_name if school else "Schulhof",
        "portal_modules": modules,
    }
