"""A person's browser without a browser: a `requests.Session` that follows redirects and submits
the forms it is shown (login pages, consent, logout confirmations), as a person would."""
from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: list[tuple[str, str]] = field(default_factory=list)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(Form(attrs.get("action") or "", (attrs.get("method") or "get").lower()))
        elif self.forms and tag == "input" and attrs.get("name"):
            if attrs.get("type") in ("submit", "button"):
                self.forms[-1].buttons.append((attrs["name"], attrs.get("value") or ""))
            else:
                self.forms[-1].fields[attrs["name"]] = attrs.get("value") or ""
        elif self.forms and tag == "button" and attrs.get("name"):
            self.forms[-1].buttons.append((attrs["name"], attrs.get("value") or ""))


def forms(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def submit(http: requests.Session, page: requests.Response, values: dict[str, str] | None = None,
           button: tuple[str, str] | None = None) -> requests.Response:
    """Fill the page's first form with `values` and submit it (following redirects)."""
    form = forms(page.text)[0]
    data = {**form.fields, **(values or {})}
    if button:
        data[button[0]] = button[1]
    url = urljoin(page.url, form.action or page.url)
    if form.method == "post":
        return http.post(url, data=data, timeout=20)
    return http.get(url, params=data, timeout=20)


def log_in(http: requests.Session, base_url: str, role: str, username: str, password: str = "demo",
           next_path: str | None = None) -> requests.Response:
    """Start at our /auth/login, fill the provider's login form, click through its consent if any."""
    params = {"role": role}
    if next_path:
        params["next"] = next_path
    page = http.get(f"{base_url}/auth/login", params=params, timeout=20)
    page.raise_for_status()
    page = submit(http, page, {"username": username, "login": username, "password": password})
    # Some providers show a consent page after the login form; approve until we are back home.
    for _ in range(3):
        if page.url.startswith(base_url) or not forms(page.text):
            break
        page = submit(http, page)
    return page
