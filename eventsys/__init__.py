"""eventsys: events and exhibitions of a national programme (forums, exposés, exhibitions, awards)."""
import importlib
import os

from flask import Flask

from eventsys.config import configure
from eventsys.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    configure(app, test_config)
    from eventsys.core.security import storable_ids

    storable_ids(app)  # before any route is added
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    from eventsys.core import models as core_models  # noqa: F401  (the outbox's tables)
    from eventsys.core.access import enforce_declared_access
    from eventsys.core.db import configure_sqlite
    from eventsys.core.i18n import register_template_helpers, select_locale
    from eventsys.core.security import register_security_headers, trust_proxy_headers

    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Sign in to open this page.")
    app.before_request(enforce_declared_access)
    from eventsys.core import jobs

    jobs.init_app(app)  # sends queued mail after each commit (a thread, or RQ with Redis)
    register_template_helpers(app)
    register_security_headers(app)
    trust_proxy_headers(app)
    app.extensions.setdefault("eventsys", {})


def register_blueprints(app: Flask) -> None:
    from eventsys.accounts.views import bp as accounts_bp
    from eventsys.api.token_views import bp as api_tokens_bp
    from eventsys.api.views import bp as api_bp
    from eventsys.events.agenda_views import bp as agenda_bp
    from eventsys.events.organization_views import bp as organizations_bp
    from eventsys.events.services import event_by_slug_or_404
    from eventsys.events.views import bp as events_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(agenda_bp)
    app.register_blueprint(organizations_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)  # bearer tokens, not cookies: no cross-site request can carry one
    app.register_blueprint(api_tokens_bp)  # the organizer's token page: cookie sign-in, so CSRF-protected
    register_registration(app)
    register_attendance(app)
    register_exposes(app)
    register_exhibition(app)
    register_awards(app)
    app.extensions["eventsys"]["load_event"] = event_by_slug_or_404


def register_registration(app: Flask) -> None:
    from eventsys.registration import api, organizer_views, outbox_views, settings_views, ticket_views, views

    app.register_blueprint(views.bp)
    app.register_blueprint(settings_views.bp)
    app.register_blueprint(organizer_views.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)
    app.register_blueprint(outbox_views.bp)
    app.register_blueprint(ticket_views.bp)


def register_attendance(app: Flask) -> None:
    from eventsys.attendance import models  # noqa: F401  (its tables, before any view imports them)

    for name in ATTENDANCE_BLUEPRINTS:
        module = importlib.import_module(f"eventsys.attendance.{name}")
        app.register_blueprint(module.bp)
        if getattr(module, "CSRF_EXEMPT", False):  # bearer-token APIs: no cookie, no CSRF
            csrf.exempt(module.bp)


# Modules of eventsys.attendance that define a blueprint `bp`, registered in this order.
ATTENDANCE_BLUEPRINTS = ("api", "scanner_views", "manage_views", "desk_views", "arrivals_views", "report_views", "certificate_views")


def register_exposes(app: Flask) -> None:
    from eventsys.exposes import models  # noqa: F401  (its tables)

    for name in EXPOSE_BLUEPRINTS:
        app.register_blueprint(importlib.import_module(f"eventsys.exposes.{name}").bp)


EXPOSE_BLUEPRINTS = ("manage_views", "presenter_views", "public_views", "portal_views", "live_views")


def _register_feature(app: Flask, package: str, modules: tuple[str, ...]) -> None:
    importlib.import_module(f"eventsys.{package}.models")  # its tables, before any view imports them
    for name in modules:
        module = importlib.import_module(f"eventsys.{package}.{name}")
        app.register_blueprint(module.bp)
        if getattr(module, "CSRF_EXEMPT", False):  # bearer-token APIs: no cookie, no CSRF
            csrf.exempt(module.bp)


def register_exhibition(app: Flask) -> None:
    from eventsys.exhibition.services import event_page_links

    _register_feature(app, "exhibition", EXHIBITION_BLUEPRINTS)
    app.extensions["eventsys"].setdefault("event_page_links", []).append(event_page_links)


EXHIBITION_BLUEPRINTS = ("manage_views", "portal_views", "upload_views", "file_views", "hall_views", "engagement_views", "analytics_views")


def register_awards(app: Flask) -> None:
    from eventsys.awards.services import event_page_links

    _register_feature(app, "awards", AWARDS_BLUEPRINTS)
    app.extensions["eventsys"].setdefault("event_page_links", []).append(event_page_links)


AWARDS_BLUEPRINTS = ("manage_views", "nomination_views", "jury_views", "results_views", "public_views", "show_views", "stage_views", "poll_views")


def register_error_handlers(app: Flask) -> None:
    from eventsys.core.errors import register_error_handlers as register

    register(app)


def register_commands(app: Flask) -> None:
    from eventsys.cli import register

    register(app)
