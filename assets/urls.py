"""URLs of the assets app: the inventory is its home (``assets:index``)."""

from django.urls import path

from assets.views import attestation, deletion, imports, inventory, vulns

app_name = "assets"
urlpatterns = [
    # inventory (DPP 2.3) and data stores (1.8, 2.1, 2.2, 2.4)
    path("", inventory.asset_list, name="index"),
    path("new/", inventory.asset_create, name="create"),
    path("export.csv", inventory.asset_export, name="export"),
    path("record-of-processing/", inventory.record_of_processing_list, name="record_of_processing"),
    path("<int:pk>/", inventory.asset_detail, name="detail"),
    path("<int:pk>/edit/", inventory.asset_edit, name="edit"),
    path("<int:pk>/retire/", inventory.asset_retire, name="retire"),
    path("<int:pk>/processing/", inventory.record_of_processing_edit, name="rop_edit"),
    path("<int:pk>/retention-check/", inventory.retention_check, name="retention_check"),
    # CSV import
    path("import/", imports.import_upload_view, name="import_upload"),
    path("import/template.csv", imports.import_template, name="import_template"),
    path("import/<int:pk>/", imports.import_detail, name="import_detail"),
    path("import/<int:pk>/apply/", imports.import_apply_view, name="import_apply"),
    path("import/<int:pk>/cancel/", imports.import_cancel_view, name="import_cancel"),
    # quarterly attestation
    path("attestations/", attestation.attestation_list, name="attestations"),
    path("attestations/sign/", attestation.attestation_sign_view, name="attestation_sign"),
    # vulnerability management (2.7)
    path("vulnerabilities/", vulns.overview, name="vulnerabilities"),
    path("vulnerabilities/scans/new/", vulns.scan_create, name="scan_create"),
    path("vulnerabilities/scans/import/", vulns.scan_import, name="scan_import"),
    path("vulnerabilities/scans/import/<int:pk>/", vulns.scan_import_job, name="scan_import_job"),
    path("vulnerabilities/scans/<int:pk>/", vulns.scan_detail, name="scan_detail"),
    path("vulnerabilities/scans/<int:pk>/assign/", vulns.scan_target_assign, name="scan_target_assign"),
    path("vulnerabilities/pentests/new/", vulns.pentest_create, name="pentest_create"),
    path("vulnerabilities/pentests/<int:pk>/", vulns.pentest_detail, name="pentest_detail"),
    path("vulnerabilities/releases/new/", vulns.release_create, name="release_create"),
    path("vulnerabilities/releases/<int:pk>/", vulns.release_detail, name="release_detail"),
    path("vulnerabilities/releases/<int:pk>/result/", vulns.release_result, name="release_result"),
    path("vulnerabilities/findings/", vulns.finding_list, name="findings"),
    path("vulnerabilities/findings/new/", vulns.finding_create, name="finding_create"),
    path("vulnerabilities/findings/<int:pk>/", vulns.finding_detail, name="finding_detail"),
    path("vulnerabilities/findings/<int:pk>/edit/", vulns.finding_edit, name="finding_edit"),
    path("vulnerabilities/findings/<int:pk>/resolve/", vulns.finding_resolve, name="finding_resolve"),
    path("vulnerabilities/reports/<str:kind>/<int:pk>/", vulns.report_download, name="report_download"),
    path("vulnerabilities/reports/<str:kind>/<int:pk>/upload/", vulns.report_upload, name="report_upload"),
    # deletion requests (1.7)
    path("deletions/", deletion.deletion_list, name="deletions"),
    path("deletions/new/", deletion.deletion_create, name="deletion_create"),
    path("deletions/<int:pk>/", deletion.deletion_detail, name="deletion_detail"),
    path("deletions/<int:pk>/edit/", deletion.deletion_edit, name="deletion_edit"),
    path("deletions/<int:pk>/stores/", deletion.deletion_add_store, name="deletion_add_store"),
    path("deletions/<int:pk>/actions/<int:action_pk>/sanitise/", deletion.action_perform, name="action_perform"),
    path("deletions/<int:pk>/actions/<int:action_pk>/verify/", deletion.action_verify, name="action_verify"),
    path("deletions/<int:pk>/exceptions/new/", deletion.exception_create, name="exception_create"),
    path("deletions/<int:pk>/certificate/sign/", deletion.certificate_sign, name="certificate_sign"),
    path("deletions/<int:pk>/certificate.pdf", deletion.certificate_download, name="certificate_download"),
]
