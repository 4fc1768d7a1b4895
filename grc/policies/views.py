from django.shortcuts import render

from grc.accounts.permissions import READERS, role_required


@role_required(*READERS)
def index(request):
    return render(request, "placeholder.html", {"title": "Policies"})
