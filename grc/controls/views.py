"""Pages of the control register (placeholder: the register's pages are built on top of these)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from grc.accounts.permissions import READERS, role_required
from grc.controls.models import ControlEntry


@role_required(*READERS)
def index(request):
    return HttpResponse("control register")


@role_required(*READERS)
def entry_detail(request, pk: int):
    entry = get_object_or_404(ControlEntry, pk=pk)
    return HttpResponse(f"entry {entry.pk}")
