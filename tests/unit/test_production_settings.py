"""With SHOPHUB_ENV=production, unsafe settings stop the app with a one-line reason."""

import os
import subprocess
import sys

import pytest

from shophub.platform.production import UnsafeSettings, refuse_unsafe_settings, unsafe_settings

PROJECT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAFE_ENV = {
    "SHOPHUB_ENV": "production",
    "SECRET_KEY": "k" * 48,
    "DATABASE_URL": "postgresql://shop@db/shophub",
}
SAFE_CONFIG = {
    "STORE_URL": "https://shop.example.com",
    "PREFERRED_URL_SCHEME": "https",
    "SESSION_COOKIE_SECURE": True,
    "MAIL_SERVER": "smtp.example.com",
    "REDIS_URL": "redis://redis:6379/0",
    "STRIPE_SECRET_KEY": "sk_live_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
}


def test_safe_settings_pass():
    assert unsafe_settings(SAFE_CONFIG, SAFE_ENV) == []
    refuse_unsafe_settings(SAFE_CONFIG, SAFE_ENV)


@pytest.mark.parametrize(("config", "env", "reason"), [
    ({"SESSION_COOKIE_SECURE": False}, {}, "SESSION_COOKIE_SECURE is not 1"),
    ({}, {"SECRET_KEY": ""}, "SECRET_KEY is unset"),
    ({}, {"SECRET_KEY": "short"}, "SECRET_KEY is shorter than 32"),
    ({}, {"DATABASE_URL": ""}, "DATABASE_URL is unset"),
    ({"STORE_URL": None}, {}, "STORE_URL is unset"),
    ({"STORE_URL": "http://shop.example.com", "PREFERRED_URL_SCHEME": "http"}, {},
     "STORE_URL is not https"),
    ({"MAIL_SERVER": None}, {}, "MAIL_SERVER is unset"),
    ({"REDIS_URL": None}, {}, "REDIS_URL is unset"),
    ({"STRIPE_WEBHOOK_SECRET": None}, {}, "without STRIPE_WEBHOOK_SECRET"),
    ({"DEBUG": True}, {}, "debug mode is on"),
])
def test_each_unsafe_setting_is_refused_with_its_reason(config, env, reason):
    with pytest.raises(UnsafeSettings) as refused:
        refuse_unsafe_settings({**SAFE_CONFIG, **config}, {**SAFE_ENV, **env})
    message = str(refused.value)
    assert reason in message
    assert "\n" not in message


def test_outside_production_nothing_is_refused():
    refuse_unsafe_settings({}, {"SHOPHUB_ENV": "development"})
    refuse_unsafe_settings({}, {})


def test_the_app_refuses_to_start_with_one_line_on_stderr(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("STRIPE", "MAIL_", "REDIS", "STORE_", "SESSION_"))}
    env.update(SAFE_ENV, STORE_URL="https://shop.example.com", MAIL_SERVER="smtp.example.com",
               REDIS_URL="redis://127.0.0.1:1/0", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    # HTTPS without secure cookies: the combination the check exists for.
    env.pop("SESSION_COOKIE_SECURE", None)
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=PROJECT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("ShopHub refuses to start in production:")
    assert "SESSION_COOKIE_SECURE" in lines[0]
