"""What an API token may do: one ``read`` and (for some areas) one ``write`` scope per area.

A call needs BOTH the scope on the token AND the role on the token's user, the same roles as the
area's pages (``grc.accounts.permissions``). Roles are checked live on every call, so a user who
loses a role loses what their tokens could do with it. ``<area>:write`` includes ``<area>:read``.
"""

from __future__ import annotations

from dataclasses import dataclass

from grc.accounts.permissions import EVERYONE, READERS, SECURITY_LEAD, WORKFORCE


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    what: str
    read_roles: tuple[str, ...]
    write_roles: tuple[str, ...] = ()  # empty: a read-only area

    @property
    def writable(self) -> bool:
        return bool(self.write_roles)


AREAS: dict[str, Area] = {
    area.key: area
    for area in (
        Area("people", "People", "the people registry; create, update and terminate people (DPP 1.2)", READERS, SECURITY_LEAD),
        Area(
            "access",
            "Systems and accounts",
            "systems and their accounts; full sync of a system's accounts (DPP 1.2/1.3)",
            READERS,
            SECURITY_LEAD,
        ),
        Area("assets", "Assets", "the asset inventory and data stores (DPP 2.3)", READERS, SECURITY_LEAD),
        Area(
            "vulnerabilities",
            "Vulnerabilities",
            "vulnerability scans, findings and release code scans (DPP 2.7)",
            READERS,
            SECURITY_LEAD,
        ),
        Area(
            "controls",
            "Control register",
            "the controls each in-scope system enforces and the purpose of each PII data store (DPP 1.1, 1.2, 1.4, 2, 2.3, 2.5, 2.6)",
            READERS,
            SECURITY_LEAD,
        ),
        Area("incidents", "Incidents", "security incidents; report one (DPP 1.6)", EVERYONE, WORKFORCE),
        Area("risks", "Risks", "the risk register (DPP 1.6)", READERS),
        Area("compliance", "Obligations and DPP status", "deadlines and the status of each DPP clause", EVERYONE),
        Area("audit", "Audit events", "the audit trail (DPP 2.6), security lead only", SECURITY_LEAD),
    )
}


def scope_name(area: str, write: bool) -> str:
    return f"{area}:{'write' if write else 'read'}"


ALL_SCOPES: tuple[str, ...] = tuple(
    scope for area in AREAS.values() for scope in (scope_name(area.key, False), *((scope_name(area.key, True),) if area.writable else ()))
)


def scopes_for_role(role: str) -> list[str]:
    """The scopes a user with ``role`` can use (and so may put on a token), in catalogue order."""
    allowed = []
    for area in AREAS.values():
        if role in area.read_roles:
            allowed.append(scope_name(area.key, False))
        if role in area.write_roles:
            allowed.append(scope_name(area.key, True))
    return allowed


def scope_allows(scopes, area: str, write: bool) -> bool:
    """Whether a token's scopes cover reading (or writing) ``area``; write includes read."""
    if scope_name(area, True) in scopes:
        return True
    return not write and scope_name(area, False) in scopes


def role_allows(role: str, area: str, write: bool) -> bool:
    spec = AREAS[area]
    return role in (spec.write_roles if write else spec.read_roles)
