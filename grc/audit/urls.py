from django.urls import path

from grc.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.index, name="index"),
]
