"""The portal's URLs with the bench's floor view mounted, as ``BENCH_FLOOR_VIEW=1`` does."""

from django.urls import include, path

from grc.urls import urlpatterns as portal

urlpatterns = [*portal, path("bench/", include("grc.scale.urls"))]
