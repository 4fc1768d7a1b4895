"""The incident list's rows are written in Python (``views.incidents.incident_rows_html``) exactly as
the template loop below wrote them (with ``incidents/_clock.html``), for every clock state and step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grc.widgets import pk_url
from incidents.models import AmazonInvolved, Incident
from incidents.notify import affected_systems
from incidents.selectors import incident_list
from incidents.views.incidents import clock_of, incident_rows_html, listed_incidents

pytestmark = pytest.mark.django_db

# The loop ``incidents/index.html`` had before its rows were written in Python.
ROWS_TEMPLATE = """{% load ui %}  {% for incident in table.rows %}
    <tr data-incident="{{ incident.reference }}"{% if incident.clock.state == "overdue" %} class="table-danger"{% endif %}>
      <td class="font-monospace text-nowrap"><a href="{{ incident.url }}">{{ incident.reference }}</a></td>
      <td><a href="{{ incident.url }}">{{ incident.title }}</a>{% if incident.affected %}<div class="small text-body-secondary">{{ incident.affected|join:", " }}</div>{% endif %}</td>
      <td class="small text-nowrap">{{ incident.detected_at|local }}</td>
      <td class="small">{{ incident.incident_type|default:"—" }}</td>
      <td>{% if incident.severity %}{% status_badge incident.severity %}{% else %}<span class="text-body-secondary">—</span>{% endif %}</td>
      <td>{% if incident.status == "closed" %}{% status_badge "closed" %}{% elif incident.status == "reported" %}{% status_badge "pending" "reported" %}{% else %}{% status_badge "in_progress" incident.get_status_display|lower %}{% endif %}</td>
      <td class="text-nowrap" data-testid="clock">{% include "incidents/_clock.html" with clock=incident.clock %}</td>
      <td class="small">{% if incident.owner %}{{ incident.owner.get_full_name|default:incident.owner.username }}{% else %}<span class="text-body-secondary">not triaged</span>{% endif %}</td>
    </tr>
  {% endfor %}
"""


def test_the_rows_written_in_python_are_the_rows_the_template_wrote(report, triage, lead):
    now = timezone.now()
    report(title='Lost <laptop> & "keys"', now=now)  # reported, not triaged: running clock, no owner, no severity
    report(detected_at=now - timedelta(hours=30), now=now)  # overdue
    triage(report(now=now), now=now)  # triaged, Amazon involved
    triage(report(now=now), amazon=AmazonInvolved.NO, reason="Only our own test data", now=now)  # not required
    rows = list(incident_list(lead).order_by("-detected_at", "-pk"))
    url_of = pk_url("incidents:detail")
    for incident in rows:
        incident.url, incident.clock, incident.affected = url_of(incident.pk), clock_of(incident, now), affected_systems(incident)
    assert {incident.clock.state for incident in rows} >= {"overdue", "not_required"} and Incident.objects.count() == 4
    expected = engines["django"].from_string(ROWS_TEMPLATE).render({"table": {"rows": rows}, "now": now})
    assert "  " + incident_rows_html(rows, now) + "\n" == expected


def test_the_list_reads_only_what_its_rows_show_and_writes_the_same_rows(report, triage, lead):
    now = timezone.now()
    report(title="Phishing <mail>", systems_involved="Mail, VPN", now=now)
    report(detected_at=now - timedelta(hours=30), now=now)
    triage(report(now=now), now=now)
    triage(report(now=now), amazon=AmazonInvolved.NO, reason="Only our own test data", now=now)
    url_of = pk_url("incidents:detail")

    def rows_html(queryset) -> str:
        rows = list(queryset.order_by("-detected_at", "-pk"))
        with CaptureQueriesContext(connection) as lazy:
            for incident in rows:
                incident.url, incident.clock, incident.affected = url_of(incident.pk), clock_of(incident, now), affected_systems(incident)
            html = incident_rows_html(rows, now)
        assert not lazy.captured_queries  # nothing the rows show was left unread
        return html

    with CaptureQueriesContext(connection) as listed:
        narrow = rows_html(listed_incidents(lead))
    assert narrow == rows_html(incident_list(lead))
    main = listed.captured_queries[0]["sql"]
    assert '"password"' not in main and 'reported_by_id" = ' not in main  # neither the reporter nor password hashes
