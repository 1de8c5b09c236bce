from django.urls import URLPattern, URLResolver

app_name = "schoolimport"

urlpatterns: list[URLPattern | URLResolver] = []
