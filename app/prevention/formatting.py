"""Numbers on prevention pages and in the yearly report, in the reader's language (1.234,5 / 1,234.5)."""
from flask_babel import format_decimal

from app.prevention import bp


@bp.app_template_filter("dec")
def decimal(value, digits: int = 1) -> str:
    """`value` with `digits` decimals and thousands separators; "–" for no value."""
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0" + ("." + "0" * digits if digits else ""))


@bp.app_template_filter("pct")
def percent(share, digits: int = 0) -> str:
    """A share (0..1) as percent; "–" for no value."""
    return "–" if share is None else decimal(share * 100, digits) + " %"
