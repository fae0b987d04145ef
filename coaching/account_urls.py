from __future__ import annotations

from django.urls import include, path

# Login, logout, password change and password reset: Django's views, our templates.
urlpatterns = [
    path("", include("django.contrib.auth.urls")),
]
