"""The DPP clauses (1.1 … 2.7, 3) as plain data for forms and scopes, read from the catalogue file
(``grc/compliance/data/dpp_requirements.json``) rather than the database, so forms and the pack
builder work even before the catalogue table is loaded."""

from __future__ import annotations

from functools import lru_cache

from grc.compliance.requirements import requirement_data


@lru_cache(maxsize=1)
def clause_titles() -> dict[str, str]:
    return {item["clause"]: item["title"] for item in requirement_data()}


def all_clauses() -> list[str]:
    return list(clause_titles())


def clause_choices() -> list[tuple[str, str]]:
    return [(clause, f"{clause} {title}") for clause, title in clause_titles().items()]


def normalise_scope(clauses) -> list[str]:
    """Known clauses in catalogue order; an empty list (or every clause) means the whole DPP."""
    wanted = {str(clause) for clause in clauses or []}
    ordered = [clause for clause in all_clauses() if clause in wanted]
    return [] if len(ordered) == len(all_clauses()) else ordered


def scope_clauses(scope: list[str]) -> list[str]:
    """The clauses a scope covers (empty = all of them)."""
    return list(scope) if scope else all_clauses()


def scope_label(scope: list[str]) -> str:
    if not scope:
        return "the whole DPP (clauses 1.1–3)"
    return "clauses " + ", ".join(scope)


def scope_within(inner: list[str], outer: list[str]) -> bool:
    """Whether scope ``inner`` lies inside ``outer`` (an empty scope is the whole DPP)."""
    return set(scope_clauses(inner)) <= set(scope_clauses(outer))
