from django.urls import path

from grc.controls import views

app_name = "controls"

urlpatterns = [
    path("", views.index, name="index"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
]
