"""Photo files that match their rows: staged under temporary names, published after the commit, swept.

A request writes its photos (and thumbnails) to `UPLOAD_DIR/.pending/<final name>.<random>` (flushed to disk
before the database is asked), and only after the rows that reference them are committed does it link them
under their content-addressed names. So:

- a failed request leaves no published file: it removes its own temporary files and never touches a
  published one, which another attempt (a retry with the same key, or another report of the same photo)
  may reference;
- a row never points at a missing file, except for a moment when the outcome of a commit is unknown (the
  connection died during it): then the temporary files are left, and a retry with the same key, or the
  sweep, links them once the row is found;
- a full disk fails while staging, before anything is stored: `StorageFull`, nothing left behind.

`sweep` (run by the housekeeping, and by `flask sweep-photos`) links pending files whose rows exist,
removes pending files older than the grace period whose rows do not, and removes published files that no
row references and that are older than the grace period. It moves such a file aside, asks again, and puts
it back if a row referenced it meanwhile, so it never races a request that reuses the same content.
"""
from __future__ import annotations

import errno
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.services.citizen.photos import NAME_PATTERN, ProcessedPhoto, StoredPhoto

log = logging.getLogger(__name__)

PENDING = ".pending"          # under UPLOAD_DIR: the same file system, so publishing is an atomic link
GRACE_SECONDS = 3600          # far longer than a request can take (gunicorn kills a worker after 30 s)
FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


class StorageFull(Exception):
    """The upload directory's file system is full or over quota; nothing was stored."""

    def __init__(self):
        super().__init__(_("Der Speicher für Fotos ist gerade voll, daher wurde nichts gespeichert. Bitte "
                           "versuchen Sie es später noch einmal oder senden Sie die Meldung ohne Foto."))


class StagedPhotos:
    """The photo files of one request, written under temporary names until its rows are committed."""

    def __init__(self, upload_dir):
        self.directory = Path(upload_dir)
        self.pending = self.directory / PENDING
        self.files: list[tuple[Path, str]] = []   # (temporary path, final name)

    def add(self, photo: ProcessedPhoto) -> StoredPhoto:
        """Write a photo and its thumbnail to temporary files (StorageFull when the disk is full)."""
        for name, content in ((photo.filename, photo.jpeg), (photo.thumb_filename, photo.thumb)):
            self._write(name, content)
        return StoredPhoto(photo.sha256, photo.filename, photo.thumb_filename, photo.width, photo.height)

    def _write(self, name: str, content: bytes) -> None:
        self.pending.mkdir(parents=True, exist_ok=True)
        tmp = self.pending / f"{name}.{secrets.token_hex(8)}"
        try:
            with open(tmp, "xb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())   # on disk before the row that needs it can be committed
            os.chmod(tmp, 0o644)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            self.discard()
            if exc.errno in FULL_ERRNOS:
                log.error("upload directory full: %s (%s)", self.directory, exc.strerror)
                raise StorageFull() from exc
            raise
        self.files.append((tmp, name))

    def publish(self) -> None:
        """After the commit: link each file under its content-addressed name (an existing one is kept)."""
        try:
            for tmp, name in self.files:
                _link(tmp, self.directory / name)
        except OSError as exc:  # the rows are committed: the sweep links the files that are left
            log.error("photos committed but not yet published (the sweep will): %s", exc)
            self.files = []
            return
        self.discard()

    def discard(self) -> None:
        """Nothing was committed: remove this request's temporary files (never a published one)."""
        for tmp, _name in self.files:
            tmp.unlink(missing_ok=True)
        self.files = []

    def abandon(self) -> None:
        """The commit's outcome is unknown: leave the temporary files for a retry or the sweep."""
        if self.files:
            log.warning("outcome of a commit unknown: %d photo files left for the sweep", len(self.files))
        self.files = []


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except FileExistsError:  # the same content, published before
        pass


@dataclass
class SweepResult:
    """What a sweep did (file names)."""

    linked: list[str] = field(default_factory=list)
    removed_pending: list[str] = field(default_factory=list)
    removed_published: list[str] = field(default_factory=list)


def _pending_files(pending: Path) -> Iterable[tuple[Path, str | None]]:
    """(path, final name or None for junk) of every file in the pending directory."""
    if not pending.is_dir():
        return []
    out = []
    for entry in os.scandir(pending):
        if entry.is_file(follow_symlinks=False):
            final = entry.name.rsplit(".", 1)[0]
            out.append((Path(entry.path), final if NAME_PATTERN.match(final) else None))
    return out


def _older_than(path: Path, seconds: float, now: float) -> bool:
    try:
        return now - path.stat().st_mtime >= seconds
    except FileNotFoundError:
        return False


def sweep(upload_dir, referenced: Callable[[list[str]], set[str]], grace_seconds: float = GRACE_SECONDS,
          now: float | None = None) -> SweepResult:
    """Bring the upload directory in line with the rows; `referenced(names)` says which names rows use."""
    directory = Path(upload_dir)
    pending = directory / PENDING
    now = time.time() if now is None else now
    result = SweepResult()
    _sweep_pending(directory, pending, referenced, grace_seconds, now, result)
    candidates = [Path(e.path) for e in (os.scandir(directory) if directory.is_dir() else [])
                  if e.is_file(follow_symlinks=False) and NAME_PATTERN.match(e.name)
                  and _older_than(Path(e.path), grace_seconds, now)]
    in_use = referenced([p.name for p in candidates]) if candidates else set()
    moved = []
    for path in candidates:
        if path.name not in in_use:
            aside = pending / f"{path.name}.{secrets.token_hex(8)}"
            pending.mkdir(parents=True, exist_ok=True)
            try:
                os.rename(path, aside)
            except FileNotFoundError:
                continue
            moved.append((aside, path))
    in_use = referenced([p.name for _, p in moved]) if moved else set()
    for aside, path in moved:
        if path.name in in_use:   # a request referenced it while we looked: put it back
            _link(aside, path)
        else:
            result.removed_published.append(path.name)
        aside.unlink(missing_ok=True)
    for junk in directory.glob(".upload-*"):  # temporary files of the former direct writes
        if _older_than(junk, grace_seconds, now):
            junk.unlink(missing_ok=True)
    return result


def _sweep_pending(directory, pending, referenced, grace_seconds, now, result) -> None:
    files = list(_pending_files(pending))
    names = sorted({final for _, final in files if final})
    in_use = referenced(names) if names else set()
    for path, final in files:
        if final in in_use and not (directory / final).exists():
            _link(path, directory / final)
            result.linked.append(final)
        if _older_than(path, grace_seconds, now):   # younger ones may belong to a request still running
            path.unlink(missing_ok=True)
            if final not in in_use:
                result.removed_pending.append(path.name)


def publish_on_commit(session, staged: StagedPhotos) -> None:
    """Publish `staged` when `session`'s transaction commits; discard it when it is rolled back, and leave it
    for the sweep when the commit itself failed (its outcome is unknown)."""
    session.info.setdefault(_SESSION_KEY, {"batches": [], "committing": False})["batches"].append(staged)


_SESSION_KEY = "staged_photos"


@event.listens_for(Session, "before_commit")
def _before_commit(session):
    if _SESSION_KEY in session.info:
        session.info[_SESSION_KEY]["committing"] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    for staged in session.info.pop(_SESSION_KEY, {}).get("batches", []):
        staged.publish()


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction):
    if transaction.parent is not None or _SESSION_KEY not in session.info:
        return   # a savepoint (the outer transaction decides), or nothing staged
    state = session.info.pop(_SESSION_KEY)
    for staged in state["batches"]:
        staged.abandon() if state["committing"] else staged.discard()


def referenced_photo_names(names: list[str], chunk: int = 5000) -> set[str]:
    """Which of these file names a photo row (a report's or an after-photo, or its thumbnail) references."""
    from sqlalchemy import text

    from app.extensions import db

    found: set[str] = set()
    for i in range(0, len(names), chunk):
        found.update(db.session.execute(text(
            "SELECT n FROM unnest(CAST(:names AS text[])) AS n WHERE EXISTS (SELECT 1 FROM photos p "
            "WHERE p.sha256 = left(n, 64) AND (p.filename = n OR p.thumb_filename = n))"),
            {"names": names[i:i + chunk]}).scalars())
    return found


def sweep_photos(grace_seconds: float = GRACE_SECONDS) -> SweepResult:
    """Sweep the app's upload directory against the photo rows (see `sweep`) and log what it did."""
    from flask import current_app

    result = sweep(current_app.config["UPLOAD_DIR"], referenced_photo_names, grace_seconds)
    if result.linked or result.removed_pending or result.removed_published:
        log.info("photo sweep: %d linked for committed rows, %d unneeded temporary files and %d files no row "
                 "references removed", len(result.linked), len(result.removed_pending),
                 len(result.removed_published))
    return result
