"""Security headers: a Content-Security-Policy without inline scripts or styles on every
page, framing refused, and, with the production settings, HTTPS only: secure cookies,
HSTS and a redirect from plain HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tests.security.test_permission_matrix import MATRIX
from tests.security.world import clients_for

ROOT = Path(__file__).resolve().parents[2]
HOST = "plans.example.org"
SECURITY_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "ALLOWED_HOSTS",
)


def policy(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def html_pages(world) -> list[tuple[str, object]]:
    """Every page of the matrix a plan administrator gets as HTML."""
    client = clients_for(world)["plan_admin"]
    pages = []
    for row in MATRIX.values():
        url = row.url(world)
        response = client.get(url)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            pages.append((url, response))
    return pages


def test_every_page_has_a_policy_without_inline_scripts_or_styles(world):
    pages = html_pages(world)
    assert len(pages) >= 30

    for url, response in pages:
        directives = policy(response)
        assert directives, f"{url} has no Content-Security-Policy"
        scripts = directives.get("script-src", directives.get("default-src"))
        styles = directives.get("style-src", directives.get("default-src"))
        for values in (scripts, styles):
            assert values, url
            assert "'unsafe-inline'" not in values and "'unsafe-eval'" not in values, url
            assert "*" not in values and "data:" not in values, url
        assert directives["object-src"] == ["'none'"], url
        assert directives["frame-ancestors"] == ["'none'"], url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url


def test_no_page_relies_on_inline_script_or_style_that_the_policy_would_block(world):
    for url, response in html_pages(world):
        html = response.content.decode()
        inline_scripts = [
            tag for tag in re.findall(r"<script\b[^>]*>", html, flags=re.I) if "src=" not in tag
        ]
        assert inline_scripts == [], url
        assert re.search(r"<style\b", html, flags=re.I) is None, url
        assert re.search(r"\sstyle\s*=", html, flags=re.I) is None, url
        assert re.search(r"\son[a-z]+\s*=", html, flags=re.I) is None, f"{url}: inline handler"


@pytest.fixture(scope="module")
def production_settings():
    """The security settings as production computes them: the settings module read in a
    fresh process with only what a deployment must set."""
    unwanted = {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}
    env = {key: value for key, value in os.environ.items() if key not in unwanted}
    env |= {
        "SECRET_KEY": "production-like-" + "k" * 40,
        "ALLOWED_HOSTS": HOST,
        "DJANGO_SETTINGS_MODULE": "improvement.settings",
    }
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {SECURITY_SETTINGS!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_settings_ask_for_https_only(production_settings):
    assert production_settings["SECURE_SSL_REDIRECT"] is True
    assert production_settings["SESSION_COOKIE_SECURE"] is True
    assert production_settings["CSRF_COOKIE_SECURE"] is True
    assert production_settings["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert production_settings["X_FRAME_OPTIONS"] == "DENY"


def test_with_production_settings_cookies_are_secure_and_hsts_is_sent(production_settings, world):
    with override_settings(**production_settings):
        client = Client(HTTP_HOST=HOST)
        plain = client.get(reverse("login"))
        assert plain.status_code == 301
        assert plain["Location"] == f"https://{HOST}{reverse('login')}"

        page = client.get(reverse("login"), secure=True)
        assert page.status_code == 200
        assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        csrf_cookie = page.cookies["csrftoken"]
        assert csrf_cookie["secure"] is True

        signed_in = client.post(
            reverse("login"),
            {"username": world.users["board_member"].username, "password": "pw-for-tests-1"},
            secure=True,
        )
        assert signed_in.status_code == 302
        session = signed_in.cookies["sessionid"]
        assert session["secure"] is True
        assert session["httponly"] is True
        assert session["samesite"] == "Lax"
        assert signed_in["Strict-Transport-Security"].startswith("max-age=31536000")
