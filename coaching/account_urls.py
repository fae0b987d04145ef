from __future__ import annotations

from django.urls import include, path

from coaching import views

# Login, logout, password change and password reset: Django's views, our templates; the
# reset request is limited per address and per client (coaching.limits).
urlpatterns = [
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("", include("django.contrib.auth.urls")),
]
