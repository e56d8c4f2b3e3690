"""A browser, as far as the smoke test needs one: it keeps cookies, fills in the forms a
page gives it (with their CSRF token and initial values) and posts them the way the form
says, and stands behind a TLS proxy.

The proxy part: compose's web service expects HTTPS to end at a proxy that forwards
`X-Forwarded-Proto: https` (BEHIND_TLS_PROXY), and with DEBUG off the cookies are Secure.
So this client speaks plain HTTP to gunicorn on loopback but sends that header, the
`Origin` a browser on the HTTPS address would send, and its Secure cookies, as the proxy
would pass them on.
"""

from __future__ import annotations

import http.client
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urljoin, urlsplit


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    url: str

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def forms(self) -> list[Form]:
        parser = _FormParser()
        parser.feed(self.text)
        return parser.forms

    def form(self, *, action: str = "", field_name: str = "") -> Form:
        """The one form whose action contains `action` and that has a field
        `field_name`."""
        found = [
            form
            for form in self.forms()
            if action in form.action and (not field_name or field_name in form.fields)
        ]
        if len(found) != 1:
            raise AssertionError(
                f"{len(found)} forms on {self.url} with action {action!r} and field {field_name!r}"
            )
        return found[0]


@dataclass
class Form:
    action: str
    method: str
    enctype: str
    fields: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)


class Browser:
    def __init__(self, host: str, port: int, *, secure: bool = True):
        self.host, self.port = host, port
        self.origin = f"https://{host}:{port}"
        self.secure = secure
        self.cookies: dict[str, str] = {}
        self.url = "/"

    def get(self, path: str) -> Response:
        return self._request("GET", path)

    def follow(self, response: Response) -> Response:
        """GET the page a redirect points to (on this site)."""
        assert response.status in (301, 302, 303), (response.status, response.text[:500])
        return self.get(response.headers["Location"])

    def submit(self, response: Response, form: Form, **values: str) -> Response:
        """Post `form` from the page `response`, as a browser would after the person
        filled in `values`."""
        unknown = set(values) - set(form.fields) - set(form.choices)
        assert not unknown, f"the form has no fields {unknown}"
        data = {**form.fields, **values}
        if form.enctype == "multipart/form-data":
            body, content_type = _multipart(data)
        else:
            body, content_type = urlencode(data).encode(), "application/x-www-form-urlencoded"
        target = urljoin(response.url, form.action or response.url)
        return self._request(
            form.method.upper(),
            target,
            body=body,
            headers={
                "Content-Type": content_type,
                "Origin": self.origin,
                "Referer": self.origin + response.url,
            },
        )

    def _request(self, method: str, url: str, *, body: bytes = b"", headers=None) -> Response:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {
            "Host": f"{self.host}:{self.port}",
            "User-Agent": "improvement-smoke-test",
            **(headers or {}),
        }
        if self.secure:
            headers["X-Forwarded-Proto"] = "https"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request(method, path, body=body or None, headers=headers)
            answer = connection.getresponse()
            response = Response(answer.status, answer.msg, answer.read(), path)
        finally:
            connection.close()
        for header in answer.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        self.url = path
        return response


def _multipart(data: dict[str, str]) -> tuple[bytes, str]:
    boundary = "----smoke" + secrets.token_hex(12)
    parts = []
    for name, value in data.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


class _FormParser(HTMLParser):
    """Each form's fields with the values a browser would submit untouched: text and
    hidden inputs, checked boxes and radios, textareas, and each select's selected (or
    first) option. Radios' and selects' possible values are kept in `choices`."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_value: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        name = attributes.get("name", "")
        if tag == "form":
            self._form = Form(
                action=attributes.get("action", ""),
                method=attributes.get("method", "get"),
                enctype=attributes.get("enctype", "application/x-www-form-urlencoded"),
            )
            self.forms.append(self._form)
        elif tag == "option" and self._form is not None and self._select:
            value = attributes.get("value", "")
            self._form.choices.setdefault(self._select, []).append(value)
            if "selected" in attributes or self._select_value is None:
                self._select_value = value
                self._form.fields[self._select] = value
        elif self._form is None or not name:
            return
        elif tag == "input":
            kind = attributes.get("type", "text")
            if kind in ("radio", "checkbox"):
                self._form.choices.setdefault(name, []).append(attributes.get("value", "on"))
                if "checked" in attributes:
                    self._form.fields[name] = attributes.get("value", "on")
            elif kind not in ("submit", "button", "file", "reset", "image"):
                self._form.fields[name] = attributes.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self._form.fields[name] = ""
        elif tag == "select":
            self._select, self._select_value = name, None

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._form is not None and self._textarea:
            # Like a browser, drop the newline that follows <textarea> (Django writes one).
            value = self._form.fields[self._textarea]
            self._form.fields[self._textarea] = value.removeprefix("\n")
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None
