"""seed_demo's plumbing: each app may ship ``<app>/seed.py`` with ``seed(ctx: SeedContext)``.

Seeders run in INSTALLED_APPS order (accounts first, evidence last), so later apps can use what
earlier ones made through ``ctx``. A seeder makes a small, realistic demo organisation; it never
creates passwords: demo users get one-time invitation links, printed by the command.

Demo data that joins two domain apps is made here, between their seeders, since a domain app
imports no other (``CROSS_APP_STEPS``): the registry's confidentiality agreements once the
inventory exists, and the portal's own system for the control register.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings

from access_reviews.confidentiality_seed import seed as seed_confidentiality
from access_reviews.services.registry import portal_system_ensure

LOCAL_APPS_PREFIXES = ("grc.", "incidents", "access_reviews", "assets")


@dataclass
class SeedContext:
    now: datetime
    users: dict[str, Any] = field(default_factory=dict)  # "lead", "manager", "auditor", "staff", ...
    made: dict[str, Any] = field(default_factory=dict)  # what seeders share: "systems", "assets" ...
    lines: list[str] = field(default_factory=list)  # printed at the end

    def say(self, line: str) -> None:
        self.lines.append(line)


def seed_portal_system(ctx: SeedContext) -> None:
    """The portal's own system of the registry, which the control register records entries for."""
    ctx.made["portal_system"] = portal_system_ensure(by=ctx.users["lead"])


# (app label, "before" or "after" its seeder, step label, step): demo data joining two domain apps
CROSS_APP_STEPS: list[tuple[str, str, str, Callable[[SeedContext], None]]] = [
    # DPP 2.2: the registry's systems holding PII linked to their inventory assets, and the agreements
    ("assets", "after", "access_reviews.confidentiality", seed_confidentiality),
    ("controls", "before", "access_reviews.portal_system", seed_portal_system),
]


def _steps(label: str, when: str):
    for app_label, step_when, step_label, step in CROSS_APP_STEPS:
        if app_label == label and step_when == when:
            yield step_label, step


def seeders():
    for config in apps.get_app_configs():
        if config.name in settings.INSTALLED_APPS and config.name.startswith(LOCAL_APPS_PREFIXES):
            try:
                module = importlib.import_module(f"{config.name}.seed")
            except ModuleNotFoundError as error:
                if error.name != f"{config.name}.seed":
                    raise
                continue
            yield from _steps(config.label, "before")
            yield config.label, module.seed
            yield from _steps(config.label, "after")
