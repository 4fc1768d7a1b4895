"""seed_demo's plumbing: each app may ship ``<app>/seed.py`` with ``seed(ctx: SeedContext)``.

Seeders run in INSTALLED_APPS order (accounts first, evidence last), so later apps can use what
earlier ones made through ``ctx``. A seeder makes a small, realistic demo organisation; it never
creates passwords: demo users get one-time invitation links, printed by the command.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.conf import settings

LOCAL_APPS_PREFIXES = ("grc.", "incidents", "access_reviews", "assets")


@dataclass
class SeedContext:
    now: datetime
    users: dict[str, Any] = field(default_factory=dict)  # "lead", "manager", "auditor", "staff", ...
    made: dict[str, Any] = field(default_factory=dict)  # what seeders share: "systems", "assets" ...
    lines: list[str] = field(default_factory=list)  # printed at the end

    def say(self, line: str) -> None:
        self.lines.append(line)


def seeders():
    for config in apps.get_app_configs():
        if config.name in settings.INSTALLED_APPS and config.name.startswith(LOCAL_APPS_PREFIXES):
            try:
                module = importlib.import_module(f"{config.name}.seed")
            except ModuleNotFoundError as error:
                if error.name != f"{config.name}.seed":
                    raise
                continue
            yield config.label, module.seed
