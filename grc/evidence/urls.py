from django.urls import path

from grc.evidence.views import audits, grants, home, letters, packs

app_name = "evidence"
urlpatterns = [
    path("", home.index, name="index"),
    path("packs/", packs.pack_list, name="pack_list"),
    path("packs/new/", packs.pack_create, name="pack_create"),
    path("packs/<int:pk>/", packs.pack_detail, name="pack_detail"),
    path("packs/<int:pk>/progress/", packs.pack_progress, name="pack_progress"),
    path("packs/<int:pk>/download/<str:what>/", packs.pack_download, name="pack_download"),
    path("verify/", packs.verify, name="verify"),
    path("access/", grants.grant_list, name="grant_list"),
    path("access/new/", grants.grant_create, name="grant_create"),
    path("access/<int:pk>/revoke/", grants.grant_revoke, name="grant_revoke"),
    path("audits/", audits.audit_list, name="audit_list"),
    path("audits/new/", audits.audit_create, name="audit_create"),
    path("audits/<int:pk>/", audits.audit_detail, name="audit_detail"),
    path("audits/<int:pk>/edit/", audits.audit_edit, name="audit_edit"),
    path("audits/<int:pk>/findings/new/", audits.finding_create, name="finding_create"),
    path("audits/<int:pk>/approval/", audits.approval_create, name="approval_create"),
    path("audits/<int:pk>/close/", audits.audit_close, name="audit_close"),
    path("findings/<int:pk>/", audits.finding_detail, name="finding_detail"),
    path("findings/<int:pk>/edit/", audits.finding_edit, name="finding_edit"),
    path("findings/<int:pk>/evidence/", audits.evidence_upload, name="evidence_upload"),
    path("findings/<int:pk>/remediated/", audits.finding_remediate, name="finding_remediate"),
    path("findings/<int:pk>/reopen/", audits.finding_reopen, name="finding_reopen"),
    path("remediation-evidence/<int:pk>/", audits.evidence_download, name="evidence_download"),
    path("approvals/<int:pk>/", audits.approval_download, name="approval_download"),
    path("letters/", letters.letter_list, name="letter_list"),
    path("letters/sign/", letters.letter_sign, name="letter_sign"),
    path("letters/<int:pk>/download/", letters.letter_download, name="letter_download"),
]
