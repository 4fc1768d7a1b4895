"""URL map: one include per app; every view checks its own permissions (grc.accounts.permissions)."""

from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite

# The Django admin sits behind the same MFA as every page (DPP 1.4), for the security lead only.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "DPP portal administration"


def healthz(request):
    """Liveness for load balancers: no session, no database, no data."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="compliance:dashboard", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("grc.accounts.urls")),
    path("audit/", include("grc.audit.urls")),
    path("compliance/", include("grc.compliance.urls")),
    path("policies/", include("grc.policies.urls")),
    path("risks/", include("grc.risks.urls")),
    path("evidence/", include("grc.evidence.urls")),
    path("incidents/", include("incidents.urls")),
    path("access/", include("access_reviews.urls")),
    path("assets/", include("assets.urls")),
    path("admin/", admin.site.urls),
]
