from django.urls import path

from grc.policies import views

app_name = "policies"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.document_create, name="document_create"),
    path("<int:pk>/", views.document_detail, name="document"),
    path("<int:pk>/edit/", views.document_edit, name="document_edit"),
    path("<int:pk>/versions/new/", views.version_create, name="version_create"),
    path("<int:pk>/review/", views.review_sign, name="review"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("versions/<int:pk>/edit/", views.version_edit, name="version_edit"),
    path("versions/<int:pk>/approve/", views.version_approve, name="version_approve"),
    path("changes/", views.major_change_list, name="major_changes"),
    path("changes/new/", views.major_change_create, name="major_change_create"),
]
