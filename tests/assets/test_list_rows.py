"""The asset list's rows are written in Python (``views.inventory.asset_rows_html``) exactly as the
template loop below wrote them, for assets of every kind, flagged or not, retired or in use."""

from __future__ import annotations

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assets.flags import asset_flags, limits_from_settings
from assets.models import Asset
from assets.services.inventory import asset_retire
from assets.views.inventory import LIST_DEFERRED, asset_rows_html
from grc.widgets import pk_url

pytestmark = pytest.mark.django_db

# The loop ``assets/asset_list.html`` had before its rows were written in Python.
ROWS_TEMPLATE = """{% load ui %}  {% for asset in table.rows %}
    <tr data-tag="{{ asset.tag }}"{% if asset.flag_list %} class="flagged-row"{% endif %}>
      <td class="font-monospace small text-nowrap">{{ asset.tag }}</td>
      <td><a href="{{ asset.detail_url }}">{{ asset.name }}</a>{% if asset.retired_at %} {% status_badge "expired" "retired" %}{% endif %}</td>
      <td class="small">{{ asset.get_kind_display }}{% if asset.hardware_type %}<br><span class="text-body-secondary">{{ asset.get_hardware_type_display }}{% if asset.ownership == 'personal' %} · personal{% endif %}</span>{% endif %}</td>
      <td class="small">{{ asset.owner.get_full_name|default:asset.owner.username }}</td>
      <td class="small">{{ asset.get_environment_display|default:"—" }}</td>
      <td class="small text-nowrap">{% if asset.holds_pii %}<span class="badge text-bg-danger">PII</span>{% endif %} {% if asset.holds_amazon_information %}<span class="badge text-bg-warning">Amazon</span>{% endif %}{% if not asset.holds_pii and not asset.holds_amazon_information %}<span class="text-body-secondary">—</span>{% endif %}</td>
      <td>{# the markup of assets/_flags.html, inline: no template include per row #}{% if asset.flag_list %}<ul class="list-unstyled mb-0 small asset-flags" data-testid="flags">{% for flag in asset.flag_list %}<li class="text-danger"><span aria-hidden="true">⚑</span> {{ flag }}</li>{% endfor %}</ul>{% else %}<span class="text-success small" data-testid="no-flags">no DPP flags</span>{% endif %}
</td>
      <td class="small text-nowrap">{{ asset.baseline_verified_at|date:"d M Y"|default:"—" }}</td>
    </tr>
  {% endfor %}
"""


def test_the_rows_written_in_python_are_the_rows_the_template_wrote(make_asset, lead, manager):
    now = timezone.now()
    make_asset("hardware", name='Clean <laptop> & "co"')
    make_asset("hardware", name="Bare laptop", encryption_algorithm="", encryption_key_bits=None, owner=manager)
    make_asset("endpoint", name="Public API", environment="")
    make_asset("data_store", name="Orders DB", holds_pii=True, holds_amazon_information=True)
    asset_retire(asset=make_asset("hardware", name="Old laptop"), by=lead, now=now)
    limits, url_of = limits_from_settings(), pk_url("assets:detail")
    assets = list(Asset.objects.select_related("owner", "data_store").defer(*LIST_DEFERRED).order_by("pk"))
    for asset in assets:
        asset.flag_list = asset_flags(asset, now=now, store=asset.store, limits=limits)
        asset.detail_url = url_of(asset.pk)
    assert any(a.flag_list for a in assets) and any(not a.flag_list for a in assets) and any(a.retired_at for a in assets)
    expected = engines["django"].from_string(ROWS_TEMPLATE).render({"table": {"rows": assets}})
    assert "  " + asset_rows_html(assets) + "\n" == expected


def _count_queries(client, **params) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("assets:index"), params)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in captured if 'COUNT(*) AS "__count" FROM "assets_asset"' in q["sql"]]


def test_the_unfiltered_list_takes_its_count_from_the_summary(lead_client, make_asset, lead):
    for n in range(3):
        make_asset("hardware", name=f"Laptop {n}")
    asset_retire(asset=make_asset("hardware", name="Old laptop"), by=lead, now=timezone.now())
    page, counts = _count_queries(lead_client, sort="name")
    assert not counts  # the summary's total is the paginator's count
    assert "1–3 of 3" in page and "Old laptop" not in page
    page, counts = _count_queries(lead_client, state="all")
    assert counts and "1–4 of 4" in page  # another set of rows: counted
    page, counts = _count_queries(lead_client, q="Laptop 1")
    assert counts and "1–1 of 1" in page
