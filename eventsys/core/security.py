"""Headers every response carries: no framing, no sniffing, scripts and styles only from us; trusted proxies."""
from flask import abort, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest id an INTEGER column holds on PostgreSQL (and SQLite's binding stays in range)


class StorableIntConverter(IntegerConverter):
    """`<int:…>` in every route: a number past any stored id matches no route (404), instead of reaching the
    database, where SQLite cannot even bind it (OverflowError, a 500) and PostgreSQL refuses it."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def storable_ids(app) -> None:
    """Before any blueprint adds its rules."""
    app.url_map.converters["int"] = StorableIntConverter

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "style-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


def refuse_nul_in_url():
    """No route has a NUL in a real address; PostgreSQL would refuse it with an error, not a 404."""
    # Query strings and forms are cleaned by eventsys.core.form_base.BaseForm instead.
    if any(isinstance(v, str) and "\x00" in v for v in (request.view_args or {}).values()):
        abort(404)


def register_security_headers(app) -> None:
    app.before_request(refuse_nul_in_url)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy", CSP)
        return response


def trust_proxy_headers(app) -> None:
    """Behind PROXY_COUNT reverse proxies, take the client's address, scheme and host from their X-Forwarded-* headers.

    Without it every visitor behind nginx has nginx's address (one rate-limit bucket for the whole
    venue: ten failed sign-ins anywhere would lock everyone out) and links made from the request say
    http:// under TLS. Off by default: without a proxy these headers come from the client and could
    be forged to dodge rate limits.
    """
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)
