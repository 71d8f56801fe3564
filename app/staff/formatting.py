"""Dates and times on staff pages: local time, German style."""
from app.staff import bp


@bp.app_template_filter("staff_dt")
def format_datetime(value, with_time=True):
    """A date/time in local time, German style."""
    from app.services.core.workdays import city_timezone

    if value is None:
        return "–"
    if hasattr(value, "astimezone"):
        value = value.astimezone(city_timezone())
        return value.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")
    return value.strftime("%d.%m.%Y")


@bp.app_template_filter("staff_time")
def format_time(value):
    """A time of day in local time (HH:MM)."""
    from app.services.core.workdays import city_timezone

    return value.astimezone(city_timezone()).strftime("%H:%M") if value else "–"


@bp.app_template_filter("money")
def format_money(value):
    """An amount in euros in the reader's locale ("1.234,50 €", "€1,234.50")."""
    from flask_babel import format_currency

    return "–" if value is None else format_currency(value, "EUR")


@bp.app_template_filter("decimal")
def format_number(value, digits=1):
    """A number with `digits` decimals in the reader's locale ("2,5" in German)."""
    from app.i18n import local_number

    return local_number(value, digits)
