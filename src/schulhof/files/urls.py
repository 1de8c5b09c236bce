from django.urls import URLPattern, URLResolver

app_name = "files"

urlpatterns: list[URLPattern | URLResolver] = []
