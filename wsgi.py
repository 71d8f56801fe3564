"""WSGI entry point for gunicorn (and, as FLASK_APP=wsgi:app, for the flask command line)."""
import sys

from app import create_app
from app.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    print(f"configuration error: {exc}", file=sys.stderr)
    # 4 is gunicorn's "App failed to load": the arbiter stops instead of starting the worker again and again.
    raise SystemExit(4) from None
