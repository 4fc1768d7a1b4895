"""The 5×5 heat map: pure counting, the server-side SVG, its counts against the register, the
cell links that filter the register, and the same SVG inside a PDF (the evidence pack)."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from grc.risks.heatmap import empty_grid, grid_from_totals, grid_total, heatmap_counts, heatmap_svg
from grc.risks.selectors import risk_register
from tests.conftest import signed_in
from tests.risks.conftest import NOW

SVG = "{http://www.w3.org/2000/svg}"


def cells(svg: str) -> dict[tuple[int, int], int]:
    root = ET.fromstring(svg)
    return {
        (int(g.get("data-likelihood")), int(g.get("data-impact"))): int(g.get("data-count"))
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "heatmap-cell"
    }


def test_counts_are_indexed_by_likelihood_then_impact():
    grid = heatmap_counts([(4, 5), (4, 5), (1, 2), (5, 1)])
    assert grid[3][4] == 2 and grid[0][1] == 1 and grid[4][0] == 1
    assert grid_total(grid) == 4
    assert grid_total(empty_grid()) == 0
    assert grid_from_totals([(4, 5, 2), (1, 2, 1), (5, 1, 1)]) == grid


def test_a_pair_outside_the_scale_is_an_error():
    with pytest.raises(ValueError):
        heatmap_counts([(0, 3)])
    with pytest.raises(ValueError):
        grid_from_totals([(3, 6, 1)])


def test_the_svg_is_well_formed_with_one_cell_per_pair_and_the_counts_in_it():
    grid = heatmap_counts([(4, 5), (4, 5), (2, 3)])
    svg = heatmap_svg(grid, title="Residual <risk> & co")
    found = cells(svg)
    assert len(found) == 25
    assert found[(4, 5)] == 2 and found[(2, 3)] == 1 and sum(found.values()) == 3
    root = ET.fromstring(svg)
    assert root.get("role") == "img" and "3 risks" in root.get("aria-label")
    assert "Residual &lt;risk&gt; &amp; co" in svg  # the title is escaped
    assert "<script" not in svg and "style=" not in svg  # nothing the page's CSP would block


def test_cells_with_risks_link_to_the_filtered_register_and_empty_ones_do_not():
    grid = heatmap_counts([(3, 4)])
    svg = heatmap_svg(grid, title="Inherent", link_pattern="/risks/?inherent={likelihood}-{impact}&x=1")
    links = re.findall(r'<a href="([^"]+)"', svg)
    assert links == ["/risks/?inherent=3-4&amp;x=1"]
    assert "<a " not in heatmap_svg(grid, title="Inherent")


def test_cells_above_the_appetite_are_outlined_and_the_selected_cell_is_marked():
    svg = heatmap_svg(empty_grid(), title="Residual", appetite=12, selected=(2, 2))
    root = ET.fromstring(svg)
    strokes = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "heatmap-cell":
            rect = g.find(f"{SVG}rect")
            strokes[(int(g.get("data-likelihood")), int(g.get("data-impact")))] = rect.get("stroke")
    assert strokes[(3, 5)] == "#842029" and strokes[(4, 4)] == "#842029"  # 15 and 16 > 12
    assert strokes[(3, 4)] == "#ffffff"  # 12 is not above
    assert strokes[(2, 2)] == "#1d2125"


def test_a_grid_that_is_not_5_by_5_is_refused():
    with pytest.raises(ValueError):
        heatmap_svg(((1, 2),), title="x")


def test_the_same_svg_goes_into_a_pdf():
    from pypdf import PdfReader
    from weasyprint import HTML

    svg = heatmap_svg(heatmap_counts([(4, 5), (4, 5), (2, 3)]), title="Residual risk")
    pdf = HTML(string=f"<html><body><h1>Risk register</h1>{svg}</body></html>").write_pdf()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Residual risk" in text and "Almost certain" in text and "Severe" in text


@pytest.mark.django_db
def test_the_page_s_heat_maps_count_exactly_the_open_risks_of_the_register(client, lead, make_risk):
    make_risk(inherent_likelihood=4, inherent_impact=5, residual_likelihood=3, residual_impact=5)
    make_risk(inherent_likelihood=4, inherent_impact=5, residual_likelihood=3, residual_impact=5)
    make_risk(inherent_likelihood=3, inherent_impact=3, residual_likelihood=2, residual_impact=3)
    make_risk(inherent_likelihood=5, inherent_impact=4, residual_likelihood=1, residual_impact=1)
    closed = make_risk(inherent_likelihood=2, inherent_impact=2, residual_likelihood=2, residual_impact=2)
    from grc.risks.services.register import risk_close

    risk_close(risk=closed, reason="no longer used", by=lead, now=NOW)
    register = risk_register(now=NOW)
    html = signed_in(client, lead).get(reverse("risks:index")).content.decode()
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 2
    inherent, residual = cells(svgs[0]), cells(svgs[1])
    for (likelihood, impact), count in inherent.items():
        assert count == register.inherent_counts[likelihood - 1][impact - 1]
        assert count == sum(1 for e in register.entries if (e.inherent_likelihood, e.inherent_impact) == (likelihood, impact))
    for (likelihood, impact), count in residual.items():
        assert count == register.residual_counts[likelihood - 1][impact - 1]
    assert sum(inherent.values()) == sum(residual.values()) == register.open_count == 4
    assert inherent[(4, 5)] == 2 and residual[(3, 5)] == 2 and inherent[(2, 2)] == 0


@pytest.mark.django_db
def test_clicking_a_cell_lists_exactly_its_risks(client, lead, make_risk):
    make_risk(title="Cell A", residual_likelihood=3, residual_impact=5)
    make_risk(title="Cell B", residual_likelihood=3, residual_impact=5)
    make_risk(title="Elsewhere", residual_likelihood=2, residual_impact=2)
    signed_in(client, lead)
    html = client.get(reverse("risks:index")).content.decode()
    residual_svg = re.findall(r"<svg.*?</svg>", html, flags=re.S)[1]
    link = next(href for href in re.findall(r'<a href="([^"]+)"', residual_svg) if "3-5" in href).replace("&amp;", "&")
    page = client.get(link).content.decode()
    assert page.count('data-risk="RSK-') == 2
    assert "Cell A" in page and "Cell B" in page and "Elsewhere" not in page
    assert 'data-testid="cell-filter"' in page
    assert client.get(reverse("risks:index"), {"residual": "9-9"}).content.decode().count('data-risk="RSK-') == 0
