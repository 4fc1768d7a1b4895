"""Settings from the environment: production refuses to start without its secrets (DPP 2.5)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),  # made up for the test run
    "ALLOWED_HOSTS": "portal.example.com",
    "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    "DATABASE_URL": "sqlite:////tmp/unused.sqlite3",
}


def run_manage(*args: str, env_changes: dict[str, str | None]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY", "FIELD_ENCRYPTION", "ALLOWED_HOSTS", "DEBUG"))}
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "FIELD_ENCRYPTION_KEY"])
def test_production_refuses_to_start_without_a_required_variable(missing):
    result = run_manage("check", env_changes={**PRODUCTION_ENV, missing: None})
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr
    assert "DJANGO_ENV=production" in result.stderr


def test_production_refuses_debug():
    result = run_manage("check", env_changes={**PRODUCTION_ENV, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG is on" in result.stderr


def production_signing(tmp_path) -> dict[str, str | None]:
    """A throwaway signing pair as production would be given one (not the development certificate)."""
    subprocess.run([sys.executable, "-m", "grc.pdf_signing", "throwaway", str(tmp_path)], cwd=ROOT, check=True, timeout=60)
    return {
        "PDF_SIGNING_KEY": None,
        "PDF_SIGNING_CERT": None,
        "PDF_SIGNING_KEY_FILE": str(tmp_path / "key.pem"),
        "PDF_SIGNING_CERT_FILE": str(tmp_path / "cert.pem"),
    }


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_changes={**PRODUCTION_ENV, **production_signing(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_refuses_production_without_a_signing_key():
    unset = {"PDF_SIGNING_KEY": None, "PDF_SIGNING_CERT": None, "PDF_SIGNING_KEY_FILE": None, "PDF_SIGNING_CERT_FILE": None}
    result = run_manage("check", "--deploy", env_changes={**PRODUCTION_ENV, **unset})
    assert result.returncode != 0 and "evidence.E001" in result.stdout + result.stderr


def test_secrets_can_be_read_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(secrets.token_urlsafe(50))
    env = {**PRODUCTION_ENV, "SECRET_KEY": None, "SECRET_KEY_FILE": str(secret_file)}
    result = run_manage("check", env_changes=env)
    assert result.returncode == 0, result.stderr


def test_production_hashes_passwords_with_argon2():
    result = run_manage("shell", "-c", "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])", env_changes=PRODUCTION_ENV)
    assert result.stdout.strip().splitlines()[-1] == "django.contrib.auth.hashers.Argon2PasswordHasher", result.stderr
