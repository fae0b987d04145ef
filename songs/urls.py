from __future__ import annotations

app_name = "songs"
urlpatterns: list = []
