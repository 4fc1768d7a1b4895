"""URLs of confidentiality agreements (DPP 2.2), mounted at ``access/confidentiality/``.

A namespace of its own (``confidentiality``) beside ``access_reviews``: that app's URL matrix test
lists exactly its registry, review and training pages.
"""

from django.urls import path

from access_reviews.views import confidentiality

app_name = "confidentiality"
urlpatterns = [
    path("", confidentiality.overview, name="overview"),
    path("people/<int:person_pk>/new/", confidentiality.agreement_create, name="create"),
    path("<int:pk>/document/", confidentiality.agreement_document, name="document"),
]
