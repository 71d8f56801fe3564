"""Numbers on prevention pages and in the yearly report, in the reader's language (1.234,5 / 1,234.5)."""
from app.i18n import local_number
from app.prevention import bp


@bp.app_template_filter("dec")
def decimal(value, digits: int = 1) -> str:
    """`value` with `digits` decimals and thousands separators; "–" for no value."""
    return local_number(value, digits)


@bp.app_template_filter("pct")
def percent(share, digits: int = 0) -> str:
    """A share (0..1) as percent; "–" for no value."""
    return "–" if share is None else decimal(share * 100, digits) + " %"
