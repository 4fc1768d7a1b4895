from django.urls import path

from grc.compliance import attestation_views, kit_views, views

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
    # the Amazon assessment kit (issue 14)
    path("kit/", kit_views.kit_home, name="kit"),
    path("kit/cadences/", kit_views.cadences, name="kit_cadences"),
    path("kit/cadences/<str:kind>/", kit_views.cadence_edit, name="kit_cadence_edit"),
    path("kit/questionnaire/", kit_views.questionnaire, name="kit_questionnaire"),
    path("kit/questionnaire/save/", kit_views.questionnaire_save, name="kit_questionnaire_save"),
    path("kit/questionnaire/export.txt", kit_views.questionnaire_text, name="kit_questionnaire_text"),
    path("kit/plan/", kit_views.plan, name="kit_plan"),
    path("kit/changes/", kit_views.changes_since_last, name="kit_changes"),
    path("kit/submissions/", kit_views.submissions, name="kit_submissions"),
    path("kit/submissions/new/", kit_views.submission_new, name="kit_submission_new"),
    path("kit/submissions/<int:pk>/", kit_views.submission_detail, name="kit_submission"),
    path("kit/submissions/<int:pk>/changes/", kit_views.submission_changes, name="kit_submission_changes"),
    path("kit/submissions/<int:pk>/answers.txt", kit_views.submission_text, name="kit_submission_text"),
    path("kit/submissions/<int:pk>/answers.pdf", kit_views.submission_pdf, name="kit_submission_pdf"),
    path("kit/submissions/<int:pk>/pdf/retry/", kit_views.submission_pdf_retry, name="kit_submission_pdf_retry"),
    path("kit/readiness/", kit_views.readiness_index, name="kit_readiness"),
    path("kit/readiness/<str:clause>/", kit_views.readiness_clause, name="kit_readiness_clause"),
    path("kit/attestations/", attestation_views.attestations, name="kit_attestations"),
    path("kit/attestations/sign/<str:key>/", attestation_views.attestation_sign_view, name="kit_attestation_sign"),
    path("kit/attestations/<int:pk>/", attestation_views.attestation_detail, name="kit_attestation"),
    path("kit/attestations/<int:pk>/evidence/", attestation_views.attestation_evidence, name="kit_attestation_evidence"),
    path("kit/attestations/<int:pk>/withdraw/", attestation_views.attestation_withdraw_view, name="kit_attestation_withdraw"),
    path("kit/documents/", kit_views.documents, name="kit_documents"),
    path("kit/documents/new/", kit_views.document_new, name="kit_document_new"),
    path("kit/documents/<int:pk>/review/", kit_views.document_review, name="kit_document_review"),
    path("kit/documents/<int:pk>/download/", kit_views.document_download, name="kit_document_download"),
]
