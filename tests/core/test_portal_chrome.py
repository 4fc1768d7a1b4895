"""The portal's frame around every page (issue 23): a favicon, a confirmation after signing out,
distinct status colours, and seed_demo's links on the address the portal runs on."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from io import StringIO

import pytest
from django.core.management import call_command

from grc.management.commands.seed_demo import base_url_in_force
from grc.risks.heatmap import heatmap_counts, heatmap_svg
from grc.templatetags.ui import status_badge
from tests.conftest import signed_in


@pytest.mark.django_db
def test_it_serves_a_favicon_without_signing_in(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)


@pytest.mark.django_db
def test_every_page_links_the_icon(client):
    response = client.get("/accounts/login/")
    assert '<link rel="icon" href="/static/favicon' in response.content.decode()


@pytest.mark.django_db
def test_it_says_you_have_signed_out_on_the_sign_in_page(client, lead):
    signed_in(client, lead)
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1][0].endswith("/accounts/login/")
    assert "You have signed out." in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_signed_out_visitor_posting_sign_out_is_told_nothing(client):
    response = client.post("/accounts/logout/", follow=True)
    assert "You have signed out." not in response.content.decode()


def test_due_soon_met_late_and_kept_have_distinct_colours():
    def colour(status: str) -> str:
        return str(status_badge(status)).split("text-bg-")[1].split()[0].rstrip('"')

    assert len({colour("due_soon"), colour("met_late"), colour("kept")}) == 3
    assert colour("met_late") != colour("met")


@pytest.mark.django_db(transaction=True)
def test_seed_demo_prints_links_on_the_port_the_portal_runs_on(monkeypatch, lead):
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    monkeypatch.setenv("PORT", "8765")
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    assert "http://127.0.0.1:8765/accounts/invite/" in printed
    assert ":8000" not in printed


def test_a_configured_base_url_wins_over_the_port(monkeypatch, settings):
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    monkeypatch.setenv("PORTAL_BASE_URL", "https://portal.example.com")
    monkeypatch.setenv("PORT", "8765")
    assert base_url_in_force() == "https://portal.example.com"
    monkeypatch.delenv("PORTAL_BASE_URL")
    monkeypatch.delenv("PORT", raising=False)
    assert base_url_in_force() == "https://portal.example.com"  # the settings' value
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.setenv("HOST", "0.0.0.0")
    assert base_url_in_force() == "http://0.0.0.0:9000"


def test_the_heat_map_with_links_is_a_labelled_group_and_without_them_an_image():
    grid = heatmap_counts([(3, 4), (1, 1)])
    linked = ET.fromstring(heatmap_svg(grid, title="Residual", link_pattern="/risks/?residual={likelihood}-{impact}"))
    assert linked.get("role") == "group" and "2 risks" in linked.get("aria-label", "")  # links inside: not an img (axe)
    assert ET.fromstring(heatmap_svg(grid, title="Residual")).get("role") == "img"  # the PDF's picture, no links
