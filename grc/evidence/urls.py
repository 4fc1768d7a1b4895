from django.urls import path

from grc.evidence import views

app_name = "evidence"
urlpatterns = [
    path("", views.index, name="index"),
]
