"""URL map: one include per app; every view checks its own permissions (grc.accounts.permissions)."""

from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView
from django_otp.admin import OTPAdminSite

# The Django admin sits behind the same MFA as every page (DPP 1.4), for the security lead only.
admin.site.__class__ = OTPAdminSite
admin.site.site_header = "DPP portal administration"


def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the portal's icon."""
    return redirect(static("favicon.svg"), permanent=False)


def healthz(request):
    """Liveness for load balancers: no session, no database, no data."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="compliance:dashboard", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("accounts/", include("grc.accounts.urls")),
    path("audit/", include("grc.oversight.urls")),  # the audit trail's pages (namespace "audit")
    path("compliance/", include("grc.compliance.urls")),
    path("compliance/kit/", include("grc.kit.urls")),  # the Amazon assessment kit (issue 14)
    path("policies/", include("grc.policies.urls")),
    path("policies/", include("grc.policies.library_urls")),  # acknowledgements, version files (DPP 2.2)
    path("risks/", include("grc.risks.urls")),
    path("controls/", include("grc.controls.urls")),
    path("evidence/", include("grc.evidence.urls")),
    path("incidents/", include("incidents.urls")),
    path("access/", include("access_reviews.urls")),
    path("access/confidentiality/", include("access_reviews.confidentiality_urls")),  # DPP 2.2
    path("assets/", include("assets.urls")),
    path("assets/data-subject-requests/", include("assets.dsar_urls")),  # DPP 2.2
    path("api/", include("grc.api.urls")),
    path("admin/", admin.site.urls),
]
if settings.BENCH_FLOOR_VIEW:  # make bench only (README "Performance"); production refuses the setting
    urlpatterns.append(path("bench/", include("grc.scale.urls")))
