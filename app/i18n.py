"""Translations: German msgids (the default language), English catalogs per area; dates and times in the
reader's language and the city's time zone.

Each area keeps its own catalog in `app/translations/<area>/en/LC_MESSAGES/messages.po`, so parallel work
never edits one shared file; Flask-Babel merges all directories. The `.po` files are compiled to `.mo`
when the app starts (only when a catalog changed), so no binary files live in git.
"""
import logging
import re
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal, format_percent
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import get_locale
from markupsafe import Markup, escape

log = logging.getLogger(__name__)
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogs(root: Path = TRANSLATIONS) -> list[str]:
    """Compile every changed .po under `root`; returns the translation directories for Flask-Babel."""
    directories = []
    for area in sorted(p for p in root.iterdir() if p.is_dir()) if root.exists() else []:
        directories.append(str(area))
        for po in area.glob("*/LC_MESSAGES/*.po"):
            mo = po.with_suffix(".mo")
            if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
                continue
            with po.open("rb") as f:
                catalog = read_po(f)
            try:
                with mo.open("wb") as f:
                    write_mo(f, catalog)
            except OSError as exc:  # read-only install: use what is there
                log.warning("cannot compile %s: %s", po, exc)
    return directories



def _moment(value):
    """An aware datetime or a date from a datetime, a date or an ISO string of either."""
    if isinstance(value, str):
        return datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    return value


def local_datetime(value) -> str:
    """A moment (aware datetime or ISO string) in the city's time zone, in the reader's language:
    "29. März 2026, 00:30", "March 29, 2026, 12:30 AM"."""
    from app.services.core.workdays import city_timezone

    if value is None:
        return "–"
    local = _moment(value).astimezone(city_timezone())
    locale = get_locale()
    return (get_datetime_format("medium", locale=locale)
            .replace("{1}", format_date(local, "long", locale=locale))
            .replace("{0}", format_time(local, "short", locale=locale)))


def local_date(value) -> str:
    """The city's calendar day of a moment, or a date (datetime, date or ISO string), in the reader's language:
    "29. März 2026", "March 29, 2026"."""
    from app.services.core.workdays import city_timezone

    if value is None:
        return "–"
    value = _moment(value)
    if isinstance(value, datetime):
        value = value.astimezone(city_timezone()).date()
    return format_date(value, "long", locale=get_locale())


def local_number(value, digits: int = 0) -> str:
    """A number in the reader's language with a fixed count of decimals ("2,16" in German, "2.16" in English);
    "–" for none."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=get_locale())


def local_p(value) -> str:
    """A p-value with one or two significant digits in the reader's language ("0,002", "0.012"); "–" for none."""
    if value is None:
        return "–"
    return format_decimal(value, format="@#", locale=get_locale())


def local_percent(share, digits: int = 1) -> str:
    """A share (0.25) as a percentage in the reader's language: "25,0 %" in German, "25.0%" in English."""
    if share is None:
        return "–"
    locale = get_locale()
    pattern = Locale.parse(locale).percent_formats[None].pattern  # "#,##0\u00a0%" in German
    if digits:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * digits, 1)
    return format_percent(share, format=pattern, locale=locale)


# Words this long get soft hyphens: at 360-390 px a tile of half the screen holds about 10 characters.
HYPHENATE_FROM = 10
_LONG_WORD = re.compile(rf"\w{{{HYPHENATE_FROM},}}")


@lru_cache(maxsize=4)
def _hyphenator(language: str):
    import pyphen  # WeasyPrint's hyphenation library, with LibreOffice's dictionaries (German and English)

    return pyphen.Pyphen(lang=language if pyphen.language_fallback(language) else "de")


def hyphenate(value) -> Markup:
    """Plain text, escaped, with soft hyphens (U+00AD) in its long words by the reader's language's rules
    (Sach-be-schä-di-gung). CSS `hyphens: auto` needs a dictionary in the browser (Chromium on Linux has no German
    one), so a narrow tile would otherwise break "Sachbeschä|digung" anywhere; at a soft hyphen every browser
    breaks at a syllable and shows the hyphen."""
    if value is None:
        return Markup("")
    words = _hyphenator(str(get_locale()))
    return escape(_LONG_WORD.sub(lambda m: words.inserted(m.group(0), hyphen="\u00ad"), str(value)))


def init_app(app) -> None:
    """Template filters for times, numbers and text shown to people: ``{{ at|local_datetime }}``,
    ``{{ day|local_date }}``, ``{{ x|local_number(2) }}``, ``{{ share|local_percent }}``, ``{{ label|hyphenate }}``."""
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(local_number, "local_number")
    app.add_template_filter(local_percent, "local_percent")
    app.add_template_filter(local_p, "local_p")
    app.add_template_filter(hyphenate, "hyphenate")
