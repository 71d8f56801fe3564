"""Translations: German msgids (the default language), English catalogs per area.

Each area keeps its own catalog in `app/translations/<area>/en/LC_MESSAGES/messages.po`, so parallel work
never edits one shared file; Flask-Babel merges all directories. The `.po` files are compiled to `.mo`
when the app starts (only when a catalog changed), so no binary files live in git.
"""
import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

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
