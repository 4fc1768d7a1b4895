"""The bench's floor view; ``grc/urls.py`` includes this only when ``BENCH_FLOOR_VIEW`` is on."""

from django.urls import path

from grc.scale import bench_views

app_name = "bench"
urlpatterns = [
    path("floor/", bench_views.floor, name="floor"),
]
