"""CSV exports two ways: for spreadsheets in the reader's language (German Excel opens it in columns: semicolon,
UTF-8 with BOM, German labels, decimal comma, local times) and machine-readable on request (`?format=csv`:
comma, UTF-8, codes as column names, decimal point, ISO times with offset)."""
import csv
import io
from datetime import date, datetime

from flask_babel import format_decimal, get_locale

from app.services.core.spreadsheets import csv_safe
from app.services.core.workdays import city_timezone

FORMATS = ("excel", "csv")
DECIMALS = {"int": "#,##0", "dec1": "#,##0.0", "dec2": "#,##0.00", "coord": "0.000000"}


def wanted_format(args) -> str:
    """"csv" (machine-readable) when asked for, else "excel" (for spreadsheets in the reader's language)."""
    return "csv" if args.get("format") == "csv" else "excel"


def _cell(value, kind: str, machine: bool) -> str:
    if value is None or value == "":
        return ""
    if kind in DECIMALS:
        if machine:
            digits = {"int": 0, "dec1": 1, "dec2": 2, "coord": 6}[kind]
            return f"{float(value):.{digits}f}"
        return format_decimal(value, format=DECIMALS[kind])
    if kind == "month":
        return value.strftime("%Y-%m") if machine else value.strftime("%m/%Y")
    if isinstance(value, datetime):
        local = value.astimezone(city_timezone())
        if machine:
            return local.isoformat(timespec="minutes")
        return local.strftime("%d.%m.%Y %H:%M" if str(get_locale()) == "de" else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat() if machine or str(get_locale()) != "de" else value.strftime("%d.%m.%Y")
    text = str(value)
    return csv_safe(text)   # no formulas from user text


def table_csv(columns, rows, fmt: str) -> tuple[bytes, str]:
    """`columns`: (code, label, kind) with kind text, int, dec1, dec2, month or a date/time value; `rows`: value
    lists. Returns the file's bytes and its content type."""
    machine = fmt == "csv"
    out = io.StringIO()
    writer = csv.writer(out, delimiter="," if machine or str(get_locale()) != "de" else ";", lineterminator="\r\n")
    writer.writerow([code if machine else str(label) for code, label, _kind in columns])
    for row in rows:
        writer.writerow([_cell(v, kind, machine) for v, (_c, _l, kind) in zip(row, columns, strict=True)])
    body = out.getvalue().encode("utf-8")
    return (body if machine else b"\xef\xbb\xbf" + body), "text/csv; charset=utf-8"
