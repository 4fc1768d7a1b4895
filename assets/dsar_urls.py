"""URLs of data-subject requests (DPP 2.2), mounted at ``assets/data-subject-requests/``.

A namespace of their own (``dsar``) beside ``assets``: the assets URL matrix test lists exactly
the inventory, vulnerability and deletion pages, and this register is checked by its own tests.
"""

from django.urls import path

from assets.views import dsar

app_name = "dsar"
urlpatterns = [
    path("", dsar.dsar_list, name="register"),
    path("new/", dsar.dsar_create, name="new"),
    path("<int:pk>/", dsar.dsar_detail, name="request"),
    path("<int:pk>/edit/", dsar.dsar_edit, name="change"),
    path("<int:pk>/extend/", dsar.dsar_extend, name="extend"),
    path("<int:pk>/respond/", dsar.dsar_respond, name="answer"),
]
