"""``manage.py db_roles --print-sql --app-role NAME [--owner-role NAME]``: print the GRANTs for the
serving role of a production PostgreSQL install (README "Database roles", grc/audit/dbroles.py).

It prints and never runs them: a DBA runs the output as the owner role. The owner defaults to the
user of ``DATABASE_URL`` (the role that ran migrate), the database to its name.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from grc.audit.dbroles import db_roles_sql


class Command(BaseCommand):
    help = "Print the GRANT statements for the app (serving) role, which must not own the audit tables."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--print-sql", action="store_true", required=True, help="print the statements (the only action)")
        parser.add_argument("--app-role", default="dpp_app", help="the role gunicorn and Celery connect as (default dpp_app)")
        parser.add_argument(
            "--owner-role", default="", help="the role that runs migrate and owns the tables (default: DATABASE_URL's user)"
        )
        parser.add_argument("--database", default="", help="the database name (default: DATABASE_URL's)")
        parser.add_argument("--schema", default="public")

    def handle(self, *args: Any, **options: Any) -> None:
        database = connection.settings_dict
        owner = options["owner_role"] or database.get("USER") or ""
        name = options["database"] or str(database.get("NAME") or "")
        if not owner:
            raise CommandError("name the owner role with --owner-role (DATABASE_URL has no user)")
        try:
            sql = db_roles_sql(app_role=options["app_role"], owner_role=owner, database=name, schema=options["schema"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(sql)
