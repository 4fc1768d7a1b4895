from django.urls import path

from access_reviews import views

app_name = "access_reviews"
urlpatterns = [
    path("", views.index, name="index"),
]
