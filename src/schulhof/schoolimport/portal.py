"""The import's entry in the portal navigation."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from schulhof.web.modules import PortalModule, register


def register_modules() -> None:
    """Called from SchoolImportConfig.ready()."""
    from schulhof.schoolimport.policies import may_import

    register(
        PortalModule(
            key="import",
            title=_("Import"),
            icon="upload",
            order=86,
            url_name="schoolimport:upload",
            empty_state=_(
                "Schüler/innen und Lehrkräfte aus der Schulverwaltung (SchILD-NRW oder CSV) "
                "übernehmen: erst Vorschau, dann Übernahme."
            ),
            visible=may_import,
        )
    )
