"""What ``make bench`` needs inside the server, present only with ``BENCH_FLOOR_VIEW=1``.

* ``floor`` — the floor of the benchmark: a minimal authenticated page (the same middleware,
  session, MFA and role check as every page) that runs one indexed query. Each page's latency is
  reported as a ratio to it, which holds on a noisy, shared machine.
* ``QueryCountMiddleware`` — adds ``X-Bench-Queries`` (database queries the request ran, the
  middleware's own session and user reads included) and ``X-Bench-Ms`` (time inside Django).

Settings add the middleware and ``grc/urls.py`` mounts the view only when the setting is on;
production refuses to start with it (``grc/settings.py``), so neither exists there.
"""

from __future__ import annotations

import time

from django.db import connection
from django.http import HttpResponse

from grc.accounts.permissions import EVERYONE, role_required
from grc.compliance.models import Obligation


@role_required(*EVERYONE)
def floor(request):
    """One query on the (owner, due_at) index: the user's next deadline."""
    due = Obligation.objects.filter(owner=request.user).order_by("due_at").values_list("due_at", flat=True).first()
    return HttpResponse(f"next due: {due.isoformat() if due else '-'}\n", content_type="text/plain; charset=utf-8")


class QueryCountMiddleware:
    """Outermost middleware (bench only): count the queries and time of each request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counting(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(counting):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(count)
        response["X-Bench-Ms"] = f"{(time.perf_counter() - started) * 1000:.1f}"
        return response
