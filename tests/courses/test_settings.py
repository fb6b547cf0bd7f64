"""Settings from the environment: deploy checks pass, a missing SECRET_KEY refuses to start (or is kept in SECRET_KEY_FILE), HTTPS, DATABASE_URL picks the database."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL"}}
    env.update(env_extra)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_with_production_settings_reports_nothing(tmp_path):
    """`check --deploy` with production environment variables passes at warning level."""
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "DEBUG": "0",
            "SECRET_KEY": "x" * 20 + "a-long-random-production-key-0123456789",
            "ALLOWED_HOSTS": "learn.example.org",
            "DATABASE_URL": "postgres://learn@127.0.0.1:5432/learn",
            "DATA_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    """DEBUG off and no SECRET_KEY is an error naming the variable."""
    result = _manage("check", env_extra={"DEBUG": "0", "SECRET_KEY": "", "DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_database_url_selects_the_database(tmp_path):
    """DATABASE_URL chooses the engine and name."""
    code = "from django.conf import settings as s; d=s.DATABASES['default']; print(d['ENGINE'], d['NAME'])"
    result = _manage(
        "shell", "-c", code, env_extra={"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3", "DATA_DIR": str(tmp_path)}
    )
    assert result.stdout.strip().splitlines()[-1].split() == ["django.db.backends.sqlite3", f"{tmp_path}/x.sqlite3"]
    result = _manage(
        "shell", "-c", code, env_extra={"DATABASE_URL": "postgres://u@127.0.0.1:5432/learn", "DATA_DIR": str(tmp_path)}
    )
    assert result.stdout.strip().splitlines()[-1].split() == ["django.db.backends.postgresql", "learn"]


def test_secret_key_file_makes_a_key_once_and_keeps_it(tmp_path):
    """SECRET_KEY_FILE (what `make run` sets): the first start writes a random key only its owner
    may read; later starts read the same key, so sessions outlive a restart."""
    code = "from django.conf import settings as s; print(s.SECRET_KEY)"
    env = {"DEBUG": "0", "SECRET_KEY": "", "SECRET_KEY_FILE": str(tmp_path / "keys" / "secret_key"), "DATA_DIR": str(tmp_path)}
    first, second = (_manage("shell", "-c", code, env_extra=env) for _ in range(2))
    key = first.stdout.strip().splitlines()[-1]
    assert len(key) >= 50 and second.stdout.strip().splitlines()[-1] == key
    assert (tmp_path / "keys" / "secret_key").read_text() == key
    assert (tmp_path / "keys" / "secret_key").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["secret_key"]


def test_https_off_serves_plain_http_with_debug_off(tmp_path):
    """HTTPS=0 (make run on the loopback): no redirect, no HSTS, cookies not marked Secure."""
    code = (
        "from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    env = {"DEBUG": "0", "SECRET_KEY": "k" * 60, "DATA_DIR": str(tmp_path)}
    plain = _manage("shell", "-c", code, env_extra=env | {"HTTPS": "0"})
    assert plain.stdout.strip().splitlines()[-1].split() == ["False", "False", "0", "False", "False"], plain.stderr
    default = _manage("shell", "-c", code, env_extra=env)
    assert default.stdout.strip().splitlines()[-1].split() == ["False", "True", "31536000", "True", "True"], default.stderr
