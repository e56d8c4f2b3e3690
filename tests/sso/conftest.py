"""A real OpenID Connect provider for the sign-in tests: the project in tests/sso/idp
(django-oidc-provider), migrated into a file of its own and served by Django's
development server on a free loopback port, in a process of its own for the session.

The tests drive the product with Django's test client and the provider with a
requests session (the "browser" at the provider, keeping its cookies), passing the
redirects between them as a browser would; the product's server-to-server calls (the
discovery document, the token endpoint, the signing keys) go over HTTP to the provider.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

HERE = Path(__file__).resolve().parent
TENANT = "3f2a9c5e-7b1d-4e8a-9c6f-0d1e2f3a4b5c"
CLIENT_ID = "a1b2c3d4-improvement-plans"
CLIENT_SECRET = "test-client-secret-for-the-local-provider"
PASSWORD = "provider-password-1"
TEST_REDIRECT_URI = "http://testserver/oidc/callback/"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Provider:
    """The running provider: its issuer, and its people and registration changed through
    its own management commands."""

    def __init__(self, folder: Path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.url}/{TENANT}/v2.0"
        self.tenant = TENANT
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "idp.settings",
            "PYTHONPATH": str(HERE),
            "IDP_DATABASE": str(folder / "idp.sqlite3"),
            "IDP_SITE_URL": self.url,
            "IDP_TENANT": TENANT,
        }
        self.process: subprocess.Popen | None = None

    def manage(self, *arguments: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "django", *arguments],
            env=self.env,
            cwd=HERE,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def register(self, *redirect_uris: str) -> None:
        """The product's app registration, with these redirect URIs."""
        arguments = ["idp_client", "--client-id", CLIENT_ID, "--secret", CLIENT_SECRET]
        for uri in redirect_uris:
            arguments += ["--redirect-uri", uri]
        self.manage(*arguments)

    def person(self, username: str, *, groups: list[str] | None = None, **options) -> None:
        """Create or change a person: groups (ids), email, first_name, last_name, rename,
        inactive/active (True)."""
        arguments = ["idp_user", username]
        if groups is not None:
            arguments.append(f"--groups={','.join(groups)}")
        for name, value in options.items():
            flag = "--" + name.replace("_", "-")
            arguments += [flag] if value is True else [f"{flag}={value}"]
        self.manage(*arguments)

    def add_person(self, username: str, **options) -> None:
        """A new person, with the tests' password (setting it again later would end
        their session at the provider)."""
        self.person(username, password=PASSWORD, **options)

    def start(self) -> None:
        self.manage("migrate", "--noinput")
        self.register(TEST_REDIRECT_URI)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            env=self.env,
            cwd=HERE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        discovery = f"{self.issuer}/.well-known/openid-configuration"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(discovery, timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the test identity provider did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def identity_provider(tmp_path_factory):
    provider = Provider(tmp_path_factory.mktemp("idp"))
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def sso_settings(settings, identity_provider):
    """The product set up for the provider, as the environment variables would."""
    settings.OIDC_ISSUER = identity_provider.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_DEFAULT_ROLE = ""
    settings.OIDC_DEFAULT_ORGANISATION = ""
    settings.SSO_ONLY = False
    settings.SSO_EMERGENCY_ACCOUNTS = []
    return settings


class ProviderBrowser:
    """A browser at the provider: follows its redirects, signs in on its page when asked,
    and stops at the redirect back to the product."""

    def __init__(self, product_origin: str = "http://testserver"):
        self.session = requests.Session()
        self.product_origin = product_origin

    def follow(self, url: str, username: str | None = None) -> str:
        """Follow ``url`` at the provider to the redirect back to the product; return that
        URL (the product's callback with a code, or with an error)."""
        response = self.session.get(url, allow_redirects=False, timeout=10)
        for _ in range(10):
            if response.status_code not in (301, 302, 303):
                raise AssertionError(f"the provider answered {response.status_code}")
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(self.product_origin):
                return location
            if urlsplit(location).path == "/login/":
                if username is None:
                    raise AssertionError("the provider asked for a sign-in")
                response = self._sign_in(location, username)
            else:
                response = self.session.get(location, allow_redirects=False, timeout=10)
        raise AssertionError("too many redirects at the provider")

    def _sign_in(self, login_url: str, username: str) -> requests.Response:
        self.session.get(login_url, timeout=10)
        token = self.session.cookies["idp_csrf"]
        query = dict(part.split("=", 1) for part in urlsplit(login_url).query.split("&") if part)
        return self.session.post(
            login_url,
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token,
                "next": requests.utils.unquote(query.get("next", "")),
            },
            allow_redirects=False,
            timeout=10,
        )


def product_path(url: str) -> str:
    """The path and query of a URL on the product, for Django's test client."""
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def sign_in(client, browser: ProviderBrowser, username: str | None):
    """Start at the product's "Sign in with your council account", through the provider
    (signing in there as ``username`` if it asks), back to the product's callback; return
    the callback's response and its URL."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302, start.status_code
    callback = browser.follow(start["Location"], username)
    return client.get(product_path(callback)), callback
