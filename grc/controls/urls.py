from django.urls import path

from grc.controls import views

app_name = "controls"

urlpatterns = [
    path("", views.index, name="index"),
    path("record/", views.record, name="record"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("entries/<int:pk>/edit/", views.edit, name="edit"),
    path("entries/<int:pk>/reattest/", views.reattest, name="reattest"),
    path("entries/<int:pk>/delete/", views.delete, name="delete"),
    path("entries/<int:pk>/evidence/", views.evidence_download, name="evidence"),
    path("import/", views.import_upload, name="import"),
    path("import/apply/", views.import_apply, name="import_apply"),
    path("import/template/", views.import_template, name="import_template"),
    path("systems/<int:pk>/aws/", views.aws_account, name="aws"),
    path("systems/<int:pk>/aws/connect/", views.aws_connect, name="aws_connect"),
    path("systems/<int:pk>/aws/run/", views.aws_run_now, name="aws_run"),
    path("aws/collections/<int:pk>/evidence/", views.aws_evidence, name="aws_evidence"),
]
