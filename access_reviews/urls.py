from django.urls import path

from access_reviews.views import campaigns, home, imports, registry, tasks, training

app_name = "access_reviews"
urlpatterns = [
    path("", home.index, name="index"),
    # registry
    path("people/", registry.person_list, name="person_list"),
    path("people/new/", registry.person_edit, name="person_create"),
    path("people/import/", imports.import_upload, name="people_import"),
    path("people/import/template.csv", imports.people_template, name="people_template"),
    path("people/<int:pk>/", registry.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", registry.person_edit, name="person_edit"),
    path("people/<int:pk>/terminate/", registry.person_terminate, name="person_terminate"),
    path("people/<int:pk>/training/", training.person_training, name="person_training"),
    path("systems/", registry.system_list, name="system_list"),
    path("systems/new/", registry.system_edit, name="system_create"),
    path("systems/<int:pk>/", registry.system_detail, name="system_detail"),
    path("systems/<int:pk>/edit/", registry.system_edit, name="system_edit"),
    path("systems/<int:system_pk>/import/", imports.import_upload, name="accounts_import"),
    path("accounts/", registry.account_list, name="account_list"),
    path("accounts/new/", registry.account_edit, name="account_create"),
    path("accounts/export.csv", registry.account_export, name="account_export"),
    path("accounts/<int:pk>/", registry.account_detail, name="account_detail"),
    path("accounts/<int:pk>/edit/", registry.account_edit, name="account_edit"),
    path("accounts/<int:pk>/service/", registry.account_service_decide, name="account_service_decide"),
    # imports
    path("imports/<int:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<int:pk>/mapping/", imports.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/preset/", imports.import_preset, name="import_preset"),
    path("imports/<int:pk>/apply/", imports.import_apply, name="import_apply"),
    path("imports/<int:pk>/cancel/", imports.import_cancel, name="import_cancel"),
    # deprovisioning and access requests
    path("tasks/", tasks.task_list, name="task_list"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task_detail"),
    path("requests/", tasks.request_list, name="request_list"),
    path("requests/new/", tasks.request_create, name="request_create"),
    path("requests/<int:pk>/", tasks.request_detail, name="request_detail"),
    path("requests/<int:pk>/decide/", tasks.request_decide, name="request_decide"),
    path("requests/<int:pk>/grant/", tasks.request_grant, name="request_grant"),
    # campaigns
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_start, name="campaign_start"),
    path("campaigns/<int:pk>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/review/", campaigns.review_page, name="review_page"),
    path("campaigns/<int:pk>/review/keep-unflagged/", campaigns.bulk_keep, name="bulk_keep"),
    path("campaigns/<int:pk>/sign-off/", campaigns.sign_off, name="sign_off"),
    path("campaigns/<int:pk>/report/", campaigns.report, name="campaign_report"),
    path("rows/<int:pk>/decide/", campaigns.row_decide, name="row_decide"),
    # training
    path("training/", training.my_training, name="my_training"),
    path("training/everyone/", training.training_overview, name="training_overview"),
    path("training/records/<int:pk>/evidence/", training.training_evidence, name="training_evidence"),
]
