from __future__ import annotations

app_name = "stages"
urlpatterns: list = []
