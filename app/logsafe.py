"""Log lines that cannot be forged: control characters in a logged message are escaped.

A request path such as `/r/x%0A2026-11-30 INFO fake line` used to reach the log raw and start a line of its
own. Every record's message, formatted, has its control characters (line breaks, escape sequences, NUL, and Unicode's line and paragraph separators) written as
`\\n`, `\\x1b`, ... (tracebacks stay as they are: their lines are the code's). gunicorn's access log does the
same through `app.gunicorn_logger.Logger`.
"""
import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape(text: str) -> str:
    """`text` with every control character written as an escape."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                                             else f"\\u{ord(m.group()):04x}"), text)


class _EscapingRecord(logging.LogRecord):
    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return escape(super().getMessage())


def install() -> None:
    """Make every log record (of this process, whichever logger and handler) escape its message; idempotent.
    A record factory rather than a handler filter: handlers come and go (Alembic's logging configuration
    replaces the root logger's), records are always made by the factory."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "escapes_control_characters", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        if type(record) is logging.LogRecord:
            record.__class__ = _EscapingRecord
        return record
    factory.escapes_control_characters = True
    logging.setLogRecordFactory(factory)
