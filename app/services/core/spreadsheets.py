"""What every CSV the service hands out shares."""


def csv_safe(value):
    """Spreadsheet-safe cell: text starting with = + - @ (or a tab or carriage return, which spreadsheets skip before
    reading a formula) is prefixed with an apostrophe so it is never run as a formula; other values unchanged."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
