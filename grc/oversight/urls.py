from django.urls import path

from grc.oversight import alarm_views, review_views, views

app_name = "audit"  # the audit trail's pages: every reverse("audit:…") and template keeps its name
urlpatterns = [
    path("", views.index, name="index"),
    path("export.csv", views.export, name="export"),
    path("verify/", views.verify, name="verify"),
    path("alarms/", alarm_views.alarms, name="alarms"),
    path("alarms/<int:pk>/", alarm_views.alarm_detail, name="alarm_detail"),
    path("alarms/<int:pk>/status/", alarm_views.alarm_status, name="alarm_status"),
    path("canaries/", alarm_views.canaries, name="canaries"),
    path("canaries/toggle/", alarm_views.canary_toggle, name="canary_toggle"),
    path("reviews/", review_views.reviews, name="reviews"),
    path("reviews/new/", review_views.review_create, name="review_create"),
]
