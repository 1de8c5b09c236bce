from django.apps import AppConfig


class SchoolImportConfig(AppConfig):
    name = "schulhof.schoolimport"
    label = "schoolimport"
    verbose_name = "Import aus der Schulverwaltung"

    def ready(self) -> None:
        from schulhof.accounts.lifecycle import register_deletion_step
        from schulhof.schoolimport import jobs  # noqa: F401 - registers the periodic job
        from schulhof.schoolimport.actions import delete_person_import_data
        from schulhof.schoolimport.portal import register_modules

        register_modules()
        register_deletion_step("schoolimport", delete_person_import_data)
