"""Security headers and cookies (issue 9, item 5): every answer says it may not be framed, sniffed, leak its
address to other sites or run a script of anyone's but ours; every answer but a static file says it must not
be kept (case pages and downloads carry callers' names and phone numbers); the session cookie is Secure when
CASEWORK_SECURE_COOKIES says so; behind nginx, ProxyFix (CASEWORK_PROXY_HOPS) trusts its X-Forwarded-* only
when configured.

Whether the policy is honest (no page needs more than it allows) is tested in tests/test_csp_browser.py,
with a real Chromium, and by the scan of the templates below.
"""

import re
from pathlib import Path

import pytest
from flask import current_app, request

import config
from casework import create_app
from tests.conftest import _config
from tests.helpers import login_as
from tests.web_attack import PATH_IDS, PATH_WORDS, ROLES, act_as, fill_path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def assert_guarded(response, where: str) -> None:
    """The headers every answer carries, a static file's included."""
    policy = [d.strip() for d in response.headers.get("Content-Security-Policy", "").split(";")]
    for directive in DIRECTIVES:
        assert directive in policy, f"{where}: no {directive!r} in {policy}"
    assert not any("unsafe" in d for d in policy), f"{where}: {policy}"
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where


def assert_not_kept(response, where: str) -> None:
    assert "no-store" in response.headers.get("Cache-Control", ""), f"{where}: {response.headers}"


def every_get(town) -> list[tuple[str, str]]:
    """(endpoint, path) of every route of the app, its path parts an existing row or a word it knows
    (a part the property tests do not know yet gets "1": the answer, whatever it is, must be guarded)."""
    paths = []
    for rule in current_app.url_map.iter_rules():
        values = {name: path_part(town, name) for name in rule.arguments}
        paths.append((rule.endpoint, fill_path(rule, values)))
    return sorted(paths)


def path_part(town, name: str) -> str:
    if name in PATH_IDS:
        return town.rows[name][0]
    return PATH_WORDS.get(name, ("1",))[0]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_carries_the_security_headers_for_every_role(township, client, role):
    """Each route of app.url_map, asked with GET (a POST-only route answers 405, which must carry them too)."""
    answered = set()
    for endpoint, path in every_get(township):
        act_as(client, township, role)
        response = client.get(path)
        where = f"{role} GET {path} ({response.status_code})"
        assert response.status_code < 500, where
        assert_guarded(response, where)
        if endpoint != "static":
            assert_not_kept(response, where)
        answered.add(response.status_code)
    assert 200 in answered  # the walk reached real pages, not only refusals


DOWNLOADS = ("/stats/month/2026-10.xlsx", "/stats/month/2026-10.csv", "/stats/year/2026.docx", "/replies.csv")


def test_a_download_of_callers_phone_numbers_is_not_kept(township, client):
    login_as(client, township.dispatcher)
    for path in DOWNLOADS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_guarded(response, path)
        assert_not_kept(response, path)


def test_a_static_file_keeps_its_caching_and_the_guards(client):
    response = client.get("/static/casework.css")
    assert response.status_code == 200
    assert_guarded(response, "casework.css")
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers.get("ETag") or response.headers.get("Last-Modified")


def test_a_missing_page_and_a_server_error_carry_the_headers(app, client):
    @app.route("/test-only-boom")
    def boom():
        raise RuntimeError("a bug")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    for path, status in (("/no-such-page", 404), ("/test-only-boom", 500), ("/static/no-such.css", 404)):
        response = client.get(path)
        assert response.status_code == status, path
        assert_guarded(response, path)
        assert_not_kept(response, path)


# --- the templates need nothing the policy forbids -------------------------------------------------------

INLINE = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "a <style> element": re.compile(r"<style\b", re.I),
    "an on… handler attribute": re.compile(r"<[^>]*\son[a-z]+\s*=", re.I | re.S),
    "a style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.I | re.S),
    "a javascript: address": re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT / "templates")))
def test_no_template_holds_inline_script_style_or_handler(template):
    text = template.read_text(encoding="utf-8")
    found = [what for what, pattern in INLINE.items() if pattern.search(text)]
    assert not found, f"{template.name}: {found}"


def test_the_scan_finds_each_kind_of_inline_code():
    samples = (
        "<script>alert(1)</script>",
        "<style>p{}</style>",
        '<button type="button"\n onclick="go()">',
        '<div class="a" style="color: red">',
        '<a href="javascript:go()">',
    )
    for sample, (what, pattern) in zip(samples, INLINE.items(), strict=True):
        assert pattern.search(sample), what
    assert not any(p.search('<script src="/static/casework.js"></script>') for p in INLINE.values())


# --- cookies -----------------------------------------------------------------------------------------------


def session_cookies(app, world) -> list[str]:
    client = app.test_client()
    response = client.post("/login", data={"username": world.dispatcher.username, "password": "secret-pw"})
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "logging in set no cookie"
    return cookies


def test_secure_cookies_setting_marks_the_session_cookie_secure(app, world):
    secured = create_app(
        {**_config(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path)), "SECURE_COOKIES": True}
    )
    for cookie in session_cookies(secured, world):
        assert re.search(r";\s*Secure\b", cookie), cookie
        assert re.search(r";\s*HttpOnly\b", cookie), cookie
        assert re.search(r";\s*SameSite=Lax\b", cookie), cookie


def test_without_the_setting_the_session_cookie_is_not_secure(app, world):
    for cookie in session_cookies(app, world):
        assert not re.search(r";\s*Secure\b", cookie), cookie
        assert re.search(r";\s*HttpOnly\b", cookie), cookie
        assert re.search(r";\s*SameSite=Lax\b", cookie), cookie


def test_the_secure_cookies_setting_is_read_from_the_environment(monkeypatch):
    for value, secure in (("1", True), ("true", True), ("0", False), ("", False)):
        monkeypatch.setenv("CASEWORK_SECURE_COOKIES", value)
        assert config._env_flag("SECURE_COOKIES") is secure, value
    monkeypatch.delenv("CASEWORK_SECURE_COOKIES")
    assert config._env_flag("SECURE_COOKIES") is False


# --- behind a reverse proxy ---------------------------------------------------------------------------------


def seen_by_the_app(app, headers: dict) -> dict:
    seen = {}

    @app.before_request
    def note():
        seen.update(addr=request.remote_addr, scheme=request.scheme, host=request.host)

    app.test_client().get("/login", headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    return seen


FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "casework.example"}


def test_without_proxy_hops_forwarded_headers_are_not_believed(app):
    assert seen_by_the_app(app, FORWARDED) == {"addr": "127.0.0.1", "scheme": "http", "host": "localhost"}


def test_with_one_proxy_hop_the_client_address_and_https_come_from_nginx(app):
    proxied = create_app({**_config(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path)), "PROXY_HOPS": 1})
    seen = seen_by_the_app(proxied, FORWARDED)
    assert seen == {"addr": "203.0.113.7", "scheme": "https", "host": "casework.example"}


def test_one_proxy_hop_trusts_only_the_address_nginx_added(app):
    """A client that sends its own X-Forwarded-For gets it appended to by nginx: only the last one counts."""
    proxied = create_app({**_config(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.instance_path)), "PROXY_HOPS": 1})
    seen = seen_by_the_app(proxied, {**FORWARDED, "X-Forwarded-For": "10.9.9.9, 203.0.113.7"})
    assert seen["addr"] == "203.0.113.7"
