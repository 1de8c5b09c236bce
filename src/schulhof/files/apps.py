from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "schulhof.files"
    label = "files"
    verbose_name = "Dateien"

    def ready(self) -> None:
        # Periodic jobs register themselves on import.
        from schulhof.accounts.lifecycle import register_deletion_step, register_export_step
        from schulhof.files import jobs  # noqa: F401
        from schulhof.files.lifecycle import delete_person_files, export_person_files
        from schulhof.files.portal import register_modules

        register_deletion_step("files", delete_person_files)
        register_export_step("files", export_person_files)
        register_modules()
