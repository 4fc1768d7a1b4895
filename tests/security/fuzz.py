"""Shared pieces of the bad-input tests (tests/security/test_fuzz_*.py): one deterministic
hypothesis profile and the strategies for what users, spreadsheets and attackers send.

The profile is deterministic (``derandomize``: the same examples on every run and machine, so CI
never flakes and a failure reproduces), bounded (``max_examples``) and keeps no example database.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.apps import apps
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    derandomize=True,
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(FUZZ, max_examples=12)

# Text a form field or a CSV cell may receive: any printable or control character (but no lone
# surrogates, which no browser can send), right-to-left marks, emoji, NUL.
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
tricky_text = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "\u202eevil\u202c",
        "💥" * 20,
        "Ω≈ç√∫",
        "<script>alert(1)</script>",
        "'; DROP TABLE accounts_user; --",
        "../../../../etc/passwd",
        "%s%s%n",
        "\r\n\r\n",
        "NaN",
        "-1",
        "1e309",
        "9" * 40,
    ]
)
huge_text = st.builds(lambda char, size: char * size, st.sampled_from(["a", "é", "中", "😀", "\n"]), st.integers(5_000, 120_000))
bad_dates = st.sampled_from(
    [
        "0000-00-00",
        "0001-01-01",
        "9999-12-31",
        "10000-01-01",
        "2026-02-30",
        "2026-13-01",
        "31/12/2026",
        "1970-01-01T00:00",
        "9999-12-31T23:59",
        "2026-06-01T25:61",
        "-5",
        "tomorrow",
        "１９９９-０１-０１",
    ]
)
wrong_types = st.one_of(st.integers(-(10**20), 10**20).map(str), st.floats(allow_nan=True).map(str), st.lists(any_text, max_size=3))
formula_cells = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["=", "+", "-", "@", "\t", "\r", "=cmd|' /C calc'!A0", '=HYPERLINK("http://x")', "@SUM(1+1)*cmd|'/C calc'!A0"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20),
)
nasty = st.one_of(any_text, tricky_text, huge_text, bad_dates, wrong_types, formula_cells)


def counts(*labels: str) -> dict[str, int]:
    return {label: apps.get_model(label)._base_manager.count() for label in labels}


class Rollback(Exception):
    pass


@contextmanager
def undone():
    """Run a block in a savepoint that is always rolled back (each example starts clean)."""
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass
