"""The Flask application factory."""
import logging

from flask import Flask, current_app, request, session
from flask_babel import get_locale

from app import config as config_module
from app import i18n, logsafe
from app.extensions import babel, csrf, db, login_manager, migrate
from app.formparser import AppRequest
from app.sessions import SessionInterface


def select_locale():
    """?lang=, the saved switch, the browser's Accept-Language, then DEFAULT_LOCALE (German)."""
    langs = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang")
    if wanted in langs:
        session["lang"] = wanted
        return wanted
    if session.get("lang") in langs:
        return session["lang"]
    return request.accept_languages.best_match(langs) or current_app.config["BABEL_DEFAULT_LOCALE"]


def create_app(config: dict | None = None) -> Flask:
    """Create the app: configuration from the environment, overridden by `config`."""
    app = Flask(__name__)
    app.request_class = AppRequest
    app.session_interface = SessionInterface()
    app.config.update(config_module.from_env())
    if config:
        app.config.update(config)
    config_module.complete(app.config)
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    logsafe.install()

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(i18n.compile_catalogs()))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.PROJECT_ROOT / "migrations"), compare_type=True)
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)

    from app import (  # noqa: F401  (models: tables)
        city, cli, errors, housekeeping, inputguard, labels, models, models_osm, ratelimit, security)
    from app.services.citizen import notifications  # noqa: F401  (mails reporters on every status change)

    city.init_app(app)
    housekeeping.init_app(app)
    ratelimit.init_app(app)
    security.init_app(app)
    inputguard.init_app(app)
    errors.init_app(app)
    labels.init_app(app)
    i18n.init_app(app)
    cli.init_app(app)

    from app.api import bp as api_bp
    from app.auth import bp as auth_bp
    from app.police import bp as police_bp
    from app.prevention import bp as prevention_bp
    from app.public import bp as public_bp
    from app.staff import bp as staff_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(staff_bp, url_prefix="/staff")
    app.register_blueprint(police_bp, url_prefix="/police")
    app.register_blueprint(prevention_bp, url_prefix="/prevention")
    from app.open311 import bp as open311_bp

    csrf.exempt(open311_bp)  # a machine API authenticated by api_key, not a browser form
    app.register_blueprint(open311_bp, url_prefix="/open311/v2")

    @app.context_processor
    def _globals():
        c = app.extensions["city"]
        from app.services.core.attribution import map_attribution

        return {"city_name": c.name, "city_attribution": map_attribution(), "url_endpoints": app.view_functions,
                "get_locale": get_locale}

    return app
