"""The obligation kinds of the risk register and who may own a risk, shared by its services, views
and obligation providers (kept apart from the services so that none of them imports another in a
cycle)."""

from __future__ import annotations

from grc.accounts.models import Role

ANNUAL_REVIEW = "risks.annual_review"
TREATMENT_ACTION = "risks.treatment_action"
ACCEPTANCE_REVISIT = "risks.acceptance_revisit"
OWNER_ROLES = (Role.SECURITY_LEAD, Role.MANAGER)
