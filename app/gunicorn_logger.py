"""gunicorn's logger with control characters escaped in every access-log value (scripts/serve.sh uses it):
the path is logged decoded, so `%0A` in a URL would otherwise start a forged line."""
from gunicorn.glogging import Logger as _GunicornLogger

from app.logsafe import escape


class Logger(_GunicornLogger):
    def atoms(self, resp, req, environ, request_time):
        """gunicorn's access-log values, strings escaped (app/logsafe.py)."""
        return {k: escape(v) if isinstance(v, str) else v
                for k, v in super().atoms(resp, req, environ, request_time).items()}
