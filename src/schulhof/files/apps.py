from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "schulhof.files"
    label = "files"
    verbose_name = "Dateien"
