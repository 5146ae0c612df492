"""The app's own HTTP routes beside Streamlit (served by st.App in app.py): the password sign-in
form, which sets the organiser's session cookie. A Streamlit script cannot set cookies, so the
sign-in is a plain HTML form posted to this route; the pages read the cookie (edp.ui.session).

Custom routes get none of Streamlit's checks, so this one makes its own: the Host must be one the
app answers to (server.allowedHosts), a POST must come from the same origin, and it must carry the
token of the form it was made from (a cookie and a hidden field that must match).
"""

from __future__ import annotations

import html
import logging
import secrets
from urllib.parse import quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from edp import accounts, config, i18n
from edp.access import SESSION_MAX
from edp.db import shared_engine
from edp.errors import EdpError
from edp.throttle import Client
from edp.ui.session import SESSION_COOKIE

log = logging.getLogger(__name__)

SIGN_IN_PATH = "/konto/logga-in"
FORM_COOKIE = "edp_signin"  # the sign-in form's own token (double submit)
MAX_FORM_BYTES = 4096


def _lang(request: Request) -> str:
    lang = request.query_params.get("lang", "")
    return lang if lang in config.LANGUAGES else config.default_lang()


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (never //host or a scheme)."""
    # Browsers drop tabs and line breaks from an address ("/\t/evil" would be "//evil"): none of those,
    # nor any other control character or space, is taken.
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    return value


def _host_allowed(request: Request) -> bool:
    from streamlit import config as st_config
    from streamlit.web.server.starlette.starlette_websocket import is_host_allowed

    host = request.headers.get("host", "")
    allowed = st_config.get_option("server.allowedHosts")
    return not allowed or is_host_allowed(host)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # old browsers send none on a same-site form; the form token still has to match
        return True
    host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def client_of(request: Request, form_token: str) -> Client:
    """Who is trying, for the throttle: the browser (its form token) and, where it means something,
    its address (behind a proxy on loopback the peer is the proxy, so X-Forwarded-For's last hop)."""
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-for", "")
    if forwarded and peer in ("127.0.0.1", "::1"):
        peer = forwarded.split(",")[-1].strip()
    return Client(session=form_token, address=None if peer in ("127.0.0.1", "::1", "") else peer)


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f6f7f9;
       color: #111; font-size: 18px; line-height: 1.5; }}
main {{ max-width: 28rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 8px;
       box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
h1 {{ font-size: 1.6rem; margin-top: 0; }}
label {{ display: block; font-weight: 600; margin: 1rem 0 .25rem; }}
input {{ width: 100%; box-sizing: border-box; font-size: 1.1rem; padding: .6rem; border: 2px solid #555;
        border-radius: 6px; }}
input:focus, button:focus, a:focus {{ outline: 3px solid #1f4e9c; outline-offset: 2px; }}
button {{ margin-top: 1.5rem; width: 100%; min-height: 48px; font-size: 1.1rem; font-weight: 600; color: #fff;
         background: #1f4e9c; border: 0; border-radius: 6px; cursor: pointer; }}
.error {{ background: #fdecec; border-left: 6px solid #b3261e; padding: .75rem 1rem; margin: 1rem 0; }}
p.small {{ font-size: 1rem; }}
a {{ color: #1f4e9c; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
{error}
<form method="post" action="{action}">
<input type="hidden" name="form_token" value="{form_token}">
<label for="username">{username}</label>
<input id="username" name="username" autocomplete="username" required value="{typed}" autofocus>
<label for="password">{password}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">{submit}</button>
</form>
<p class="small">{help}</p>
<p class="small"><a href="{back}">{back_text}</a> · <a href="{other_lang_href}" lang="{other_lang}">{other_lang_name}</a></p>
</main>
</body>
</html>
"""


def _form(request: Request, lang: str, nxt: str, *, error: str = "", typed: str = "", status: int = 200) -> Response:
    form_token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    other = "en" if lang == "sv" else "sv"
    t = lambda key: html.escape(i18n.t(key, lang))  # noqa: E731
    body = PAGE.format(
        lang=lang,
        title=t("ui.signin.form_title"),
        error=f'<div class="error" role="alert">{html.escape(error)}</div>' if error else "",
        action=html.escape(f"{SIGN_IN_PATH}?{urlencode({'next': nxt, 'lang': lang})}"),
        form_token=html.escape(form_token),
        username=t("field.username"),
        password=t("field.password"),
        typed=html.escape(typed),
        submit=t("ui.signin.submit"),
        help=t("ui.signin.form_help"),
        back=html.escape(nxt),
        back_text=t("ui.signin.back"),
        other_lang=other,
        other_lang_href=html.escape(f"{SIGN_IN_PATH}?{urlencode({'next': nxt, 'lang': other})}"),
        other_lang_name={"sv": "Svenska", "en": "English"}[other],
    )
    response = HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        FORM_COOKIE, form_token, httponly=True, samesite="strict", path="/konto", secure=_secure(request)
    )
    return response


async def sign_in(request: Request) -> Response:
    if not _host_allowed(request):
        return Response("Host not allowed", status_code=403)
    lang, nxt = _lang(request), safe_next(request.query_params.get("next"))
    if request.method == "GET":
        return _form(request, lang, nxt)
    if not _same_origin(request) or int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return Response("Forbidden", status_code=403)
    form = await request.form()
    form_token = request.cookies.get(FORM_COOKIE, "")
    if not form_token or not secrets.compare_digest(str(form.get("form_token", "")), form_token):
        return _form(request, lang, nxt, error=i18n.t("ui.signin.form_expired", lang), status=400)
    username, password = str(form.get("username", ""))[:200], str(form.get("password", ""))[:400]
    engine = shared_engine(config.database_url())
    try:
        token = await run_in_threadpool(
            accounts.password_sign_in, engine, username, password, client=client_of(request, form_token)
        )
    except EdpError as err:
        status = 429 if err.key == "auth.throttled" else 401
        return _form(request, lang, nxt, error=err.message(lang), typed=username, status=status)
    response = RedirectResponse(nxt, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_MAX.total_seconds()),
        httponly=True,
        samesite="lax",
        path="/",
        secure=_secure(request),
    )
    response.delete_cookie(FORM_COOKIE, path="/konto")
    return response


def sign_in_url(lang: str, next_path: str = "/") -> str:
    return f"{SIGN_IN_PATH}?next={quote(safe_next(next_path))}&lang={lang}"


ROUTES = [Route(SIGN_IN_PATH, sign_in, methods=["GET", "POST"])]
