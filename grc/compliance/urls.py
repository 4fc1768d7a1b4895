from django.urls import path

from grc.compliance import views

app_name = "compliance"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("requirements/", views.catalogue, name="catalogue"),
    path("requirements/<str:clause>/", views.requirement_detail, name="requirement"),
    path("calendar/", views.calendar_month, name="calendar"),
    path("calendar/list/", views.calendar_list, name="calendar_list"),
    path("calendar/feed/new/", views.feed_token_create, name="feed_token_create"),
    path("calendar/feed/revoke/", views.feed_token_revoke, name="feed_token_revoke"),
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("reminders/", views.reminders, name="reminders"),
]
