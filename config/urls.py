from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("songs.urls")),
    path("", include("stages.urls")),
    path("", include("coaching.urls")),
    path("accounts/", include("coaching.account_urls")),
    path("admin/", admin.site.urls),
]

# Our own 400 page, with a sentence for a form part too long to read (coaching.views).
handler400 = "coaching.views.bad_request"
