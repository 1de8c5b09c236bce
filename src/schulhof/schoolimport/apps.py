from django.apps import AppConfig


class SchoolImportConfig(AppConfig):
    name = "schulhof.schoolimport"
    label = "schoolimport"
    verbose_name = "Import aus der Schulverwaltung"
