"""Pure rules of the review campaign: periods, who reviews an account, and what a decision needs.

No database here: these are tested on plain values (STYLE habit 2).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date

PERIOD_RE = re.compile(r"^(?P<year>\d{4})-Q(?P<quarter>[1-4])$")


def quarter_of(day: date) -> tuple[str, date, date]:
    """The DPP period (calendar quarter) containing ``day``: ``("2026-Q4", 1 Oct, 31 Dec)``."""
    quarter = (day.month - 1) // 3 + 1
    return period_bounds(f"{day.year}-Q{quarter}")


def period_bounds(label: str) -> tuple[str, date, date]:
    match = PERIOD_RE.match(label.strip().upper())
    if not match:
        raise ValueError("A period looks like 2026-Q4.")
    year, quarter = int(match["year"]), int(match["quarter"])
    first_month = 3 * (quarter - 1) + 1
    last_month = first_month + 2
    return f"{year}-Q{quarter}", date(year, first_month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1])


def choose_reviewer(
    *,
    own_user_id: int | None,
    is_service_account: bool,
    manager_user_id: int | None,
    system_owner_id: int | None,
    lead_ids: Iterable[int],
    other_ids: Iterable[int] = (),
) -> int | None:
    """Who reviews an account: the person's manager's portal user, or the system owner for a
    service account; never the account's own person. Falls back to the security lead(s), then
    the system owner, then any other reviewer (``other_ids``: so a one-lead organisation can
    still review the lead's own accounts). ``None`` when nobody but the own person could.

    Callers pass only users who may review (active, lead or manager role); others are ``None``.
    """
    preferred = system_owner_id if is_service_account else manager_user_id
    for candidate in [preferred, *lead_ids, system_owner_id, *other_ids]:
        if candidate is not None and candidate != own_user_id:
            return candidate
    return None


def decision_errors(*, decision: str, flagged: bool, comment: str, new_privilege: str = "", current_privilege: str = "") -> dict[str, str]:
    """Field → message for a review decision that cannot be saved (empty when it is fine).

    A comment is required to revoke or change, and to keep a flagged account (its justification
    goes into the campaign report); a change names a different privilege.
    """
    errors: dict[str, str] = {}
    comment = comment.strip()
    if decision not in {"keep", "revoke", "change"}:
        errors["decision"] = "Choose keep, revoke or change privilege."
        return errors
    if decision in {"revoke", "change"} and not comment:
        errors["comment"] = f"Say why you {'revoke this account' if decision == 'revoke' else 'change its privilege'}."
    if decision == "keep" and flagged and not comment:
        errors["comment"] = "This account is flagged: say why it should stay (the justification goes into the report)."
    if decision == "change":
        if not new_privilege.strip():
            errors["new_privilege"] = "Name the privilege the account should have."
        elif new_privilege.strip() == current_privilege.strip():
            errors["new_privilege"] = "That is the privilege it has now: choose keep, or name a different one."
    return errors
