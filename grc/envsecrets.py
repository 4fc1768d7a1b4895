"""Secrets for development and tests, made on the machine, never committed (DPP 2.5).

Development keeps them in ``var/dev-secrets.json`` (git-ignored, mode 0600) so sessions and
encrypted fields survive a restart. Tests make fresh ones per run and put them in the
environment so that processes the tests start (a Celery worker) share them.
Production never calls this: its settings refuse to start without the real variables.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def _new(kind: str) -> str:
    if kind == "fernet":
        return Fernet.generate_key().decode()
    if kind == "aes256":  # 32 random bytes, URL-safe base64 (BACKUP_ENCRYPTION_KEY)
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_urlsafe(50)


def dev_secret(var_dir: Path, name: str, *, kind: str = "token", persist: bool = True) -> str:
    if not persist:
        value = _new(kind)
        os.environ[name] = value
        return value
    path = var_dir / "dev-secrets.json"
    var_dir.mkdir(parents=True, exist_ok=True)
    stored: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    if name not in stored:
        stored[name] = _new(kind)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(stored, handle)
    return stored[name]
