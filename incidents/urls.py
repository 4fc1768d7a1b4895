from django.urls import path

from incidents.views import evidence, incidents, notify

app_name = "incidents"
urlpatterns = [
    path("", incidents.index, name="index"),
    path("report/", incidents.report, name="report"),
    path("<int:pk>/", incidents.detail, name="detail"),
    path("<int:pk>/triage/", incidents.triage, name="triage"),
    path("<int:pk>/edit/", incidents.edit, name="edit"),
    path("<int:pk>/detection/", incidents.detection, name="detection"),
    path("<int:pk>/advance/", incidents.advance, name="advance"),
    path("<int:pk>/custody.csv", incidents.custody_export, name="custody_export"),
    path("<int:pk>/notification/", notify.notification, name="notification"),
    path("<int:pk>/notification/build/", notify.notification_build, name="notification_build"),
    path("<int:pk>/notification/record/", notify.notification_record, name="notification_record"),
    path("<int:pk>/regulatory/new/", notify.regulatory_create, name="regulatory_create"),
    path("<int:pk>/evidence/new/", evidence.evidence_create, name="evidence_create"),
    path("evidence/<int:pk>/", evidence.evidence_detail, name="evidence"),
    path("evidence/<int:pk>/download/", evidence.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/verify/", evidence.evidence_verify, name="evidence_verify"),
    path("evidence/<int:pk>/custody/", evidence.custody_create, name="custody_create"),
]
