"""The Amazon assessment kit's pages, under /compliance/kit/ (issue 14)."""

from django.urls import path

from grc.kit import attestation_views, views

app_name = "kit"
urlpatterns = [
    path("", views.kit_home, name="index"),
    path("cadences/", views.cadences, name="cadences"),
    path("cadences/<str:kind>/", views.cadence_edit, name="cadence_edit"),
    path("questionnaire/", views.questionnaire, name="questionnaire"),
    path("questionnaire/save/", views.questionnaire_save, name="questionnaire_save"),
    path("questionnaire/export.txt", views.questionnaire_text, name="questionnaire_text"),
    path("plan/", views.plan, name="plan"),
    path("changes/", views.changes_since_last, name="changes"),
    path("submissions/", views.submissions, name="submissions"),
    path("submissions/new/", views.submission_new, name="submission_new"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission"),
    path("submissions/<int:pk>/changes/", views.submission_changes, name="submission_changes"),
    path("submissions/<int:pk>/answers.txt", views.submission_text, name="submission_text"),
    path("submissions/<int:pk>/answers.pdf", views.submission_pdf, name="submission_pdf"),
    path("submissions/<int:pk>/pdf/retry/", views.submission_pdf_retry, name="submission_pdf_retry"),
    path("readiness/", views.readiness_index, name="readiness"),
    path("readiness/<str:clause>/", views.readiness_clause, name="readiness_clause"),
    path("attestations/", attestation_views.attestations, name="attestations"),
    path("attestations/sign/<str:key>/", attestation_views.attestation_sign_view, name="attestation_sign"),
    path("attestations/<int:pk>/", attestation_views.attestation_detail, name="attestation"),
    path("attestations/<int:pk>/evidence/", attestation_views.attestation_evidence, name="attestation_evidence"),
    path("attestations/<int:pk>/withdraw/", attestation_views.attestation_withdraw_view, name="attestation_withdraw"),
    path("documents/", views.documents, name="documents"),
    path("documents/new/", views.document_new, name="document_new"),
    path("documents/<int:pk>/review/", views.document_review, name="document_review"),
    path("documents/<int:pk>/download/", views.document_download, name="document_download"),
]
