from django.shortcuts import render
from django.utils import timezone

from grc.accounts.permissions import EVERYONE, role_required


@role_required(*EVERYONE)
def dashboard(request):
    """The security lead's first page: DPP posture, deadlines, incidents, alarms and my tasks."""
    return render(request, "compliance/dashboard.html", {"now": timezone.now()})
