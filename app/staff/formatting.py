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
