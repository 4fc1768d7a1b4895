"""URLs under ``/api/``: the versioned API (``v1/``), the schema, the docs and the token pages."""

from django.urls import include, path, re_path
from rest_framework.routers import SimpleRouter

from grc.api import views
from grc.api.areas.access import AccountViewSet, SystemViewSet
from grc.api.areas.assets import AssetViewSet, DataStoreViewSet
from grc.api.areas.audit import AuditEventViewSet
from grc.api.areas.compliance import DppStatusView, ObligationViewSet
from grc.api.areas.controls import ControlEntryViewSet
from grc.api.areas.incidents import IncidentViewSet
from grc.api.areas.people import PersonViewSet
from grc.api.areas.risks import RiskViewSet
from grc.api.areas.token import TokenInfoView
from grc.api.areas.vulnerabilities import FindingViewSet, ReleaseScanViewSet, ScanViewSet

router = SimpleRouter()
router.register("people", PersonViewSet, basename="person")
router.register("systems", SystemViewSet, basename="system")
router.register("accounts", AccountViewSet, basename="account")
router.register("assets", AssetViewSet, basename="asset")
router.register("data-stores", DataStoreViewSet, basename="data-store")
router.register("vulnerability-scans", ScanViewSet, basename="vulnerability-scan")
router.register("findings", FindingViewSet, basename="finding")
router.register("release-scans", ReleaseScanViewSet, basename="release-scan")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("risks", RiskViewSet, basename="risk")
router.register("controls", ControlEntryViewSet, basename="control")
router.register("obligations", ObligationViewSet, basename="obligation")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

app_name = "api"
urlpatterns = [
    path("v1/token/", TokenInfoView.as_view(), name="token"),
    path("v1/dpp-status/", DppStatusView.as_view(), name="dpp-status"),
    path("v1/", include(router.urls)),
    path("schema/", views.SchemaView.as_view(), name="schema"),
    path("docs/", views.DocsView.as_view(), name="docs"),
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    re_path(r"^[\s\S]*$", views.NotFoundView.as_view(), name="not_found"),  # anything else, newlines too
]
