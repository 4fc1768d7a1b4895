"""Run the web server, a Celery worker and Celery beat in the foreground; Ctrl-C stops all three.

``make run`` calls this after migrating. With no environment it needs no server (SQLite, kombu's
filesystem broker and file email under var/); with DATABASE_URL / REDIS_URL / EMAIL_URL it uses them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run web server + Celery worker + Celery beat together (development)."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, **options):
        for folder in ("queue", "processed", "results"):
            (settings.CELERY_FOLDER / folder).mkdir(parents=True, exist_ok=True)
        (settings.VAR_DIR / "mail").mkdir(parents=True, exist_ok=True)
        if not os.environ.get("PORTAL_BASE_URL"):  # links printed and emailed point at this server
            os.environ["PORTAL_BASE_URL"] = settings.PORTAL_BASE_URL = f"http://{options['host']}:{options['port']}"
        call_command("setup_link", stdout=self.stdout)
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"{options['host']}:{options['port']}", "--noreload"],
            "worker": [python, "-m", "celery", "-A", "grc", "worker", "--loglevel", "INFO", "--concurrency", "2"],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "grc",
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
        }
        processes = {name: subprocess.Popen(cmd, start_new_session=True) for name, cmd in commands.items()}
        self.stdout.write(
            self.style.SUCCESS(
                f"Portal on http://{options['host']}:{options['port']}/ with a Celery worker and beat. Ctrl-C stops all three."
            )
        )
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
        finally:
            for _name, process in processes.items():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            deadline = time.time() + 10
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        exited = [name for name, p in processes.items() if p.returncode not in (0, -signal.SIGTERM, None) and not stopping]
        if exited:
            self.stderr.write(f"Stopped because {', '.join(exited)} exited.")
            sys.exit(1)
