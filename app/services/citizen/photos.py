"""The photo pipeline: decode, orient, strip all metadata, bound the size, blur faces and number plates,
thumbnail (the files: photo_files.py).

Nothing a client sends is trusted: the bytes are decoded (never the extension or MIME type), and what one
upload may cost is bounded before any pixel is decoded, from the image header: at most MAX_PIXELS in the
header, and at most MAX_DECODED_PIXELS actually decoded (JPEGs are decoded at 1/2, 1/4 or 1/8 of their size
when that still covers MAX_SIDE, so a 50-megapixel camera JPEG decodes as 12.5 megapixels; PNG, WebP and HEIC
are decoded in full, so a 12-megapixel phone photo passes and a 7000 x 7000 PNG is refused). That keeps one
photo under about 100 MiB of memory and a second of work (tests/test_photo_limits.py). What is stored is a fresh JPEG
re-encoded from pixels only (no EXIF, GPS, XMP, comments or ICC profile). Faces and number plates are
blurred before anything is written (app/services/citizen/anonymise.py): the unblurred pixels are never stored.
"""
import hashlib
import io
import logging
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from app.services.citizen.anonymise import Box, anonymise, blur_boxes

try:  # iPhone photos (HEIC/HEIF)
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF = ("HEIF",)
except ImportError:  # pragma: no cover - pillow-heif is a dependency
    HEIF = ()

log = logging.getLogger(__name__)
Image.init()  # register every plugin now, so the format allow-list below can be checked

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", *HEIF)
MAX_PIXELS = 50_000_000       # a 50-megapixel camera; more is refused as a decompression bomb
MAX_DECODED_PIXELS = 12_600_000  # what is decoded at most: a 12-megapixel phone photo (4032 x 3024, 4000 x 3000)
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own bomb check, for every other Image.open as well
MAX_SIDE = 2048               # stored photos are bounded to this many pixels on the long side
THUMB_SIDE = 400
JPEG_QUALITY = 85
NAME_PATTERN = re.compile(r"^[0-9a-f]{64}(?:_t)?\.jpg$")


class PhotoError(ValueError):
    """The upload is not a usable image; the message says why (shown to the citizen)."""


@dataclass(frozen=True)
class StoredPhoto:
    """A stored photo: content hash, file names in the upload directory and pixel size."""

    sha256: str
    filename: str
    thumb_filename: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedPhoto:
    """A decoded and cleaned photo, still in memory (nothing written yet)."""

    sha256: str
    jpeg: bytes
    thumb: bytes
    width: int
    height: int
    blurred: tuple[Box, ...] = ()   # what the detector found and blurred

    @property
    def filename(self) -> str:
        """Content-addressed name of the photo."""
        return f"{self.sha256}.jpg"

    @property
    def thumb_filename(self) -> str:
        """Content-addressed name of the thumbnail."""
        return f"{self.sha256}_t.jpg"


def _too_big(pixels: int) -> PhotoError:
    return PhotoError(_("Das Bild ist zu groß (mehr als %(n)d Megapixel).", n=pixels // 1_000_000))


def _header(data: bytes) -> Image.Image:
    """The image opened from its header only (nothing decoded), prepared to decode at most MAX_DECODED_PIXELS;
    PhotoError for non-images, unsupported formats and images too large."""
    if not data:
        raise PhotoError(_("Die Datei ist leer."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_big(MAX_PIXELS) from exc
        except UnidentifiedImageError as exc:
            raise PhotoError(_("Die Datei ist kein Foto (erlaubt: JPEG, PNG, WebP, HEIC).")) from exc
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
            raise PhotoError(_("Das Foto ist beschädigt oder unvollständig.")) from exc
    if img.width * img.height > MAX_PIXELS:
        raise _too_big(MAX_PIXELS)
    if img.format == "JPEG" and img.mode in ("RGB", "L", "CMYK"):
        img.draft(img.mode, (MAX_SIDE, MAX_SIDE))  # decode at 1/2, 1/4 or 1/8 scale where that covers MAX_SIDE
    if img.width * img.height > MAX_DECODED_PIXELS:
        raise _too_big(MAX_DECODED_PIXELS)
    return img


def check_photo(data: bytes) -> None:
    """Raise PhotoError when `data` would be refused by its header (cheap: nothing is decoded)."""
    _header(data).close()


def _open(data: bytes) -> Image.Image:
    """Open and decode `data` (at most MAX_DECODED_PIXELS), refusing non-images, unsupported formats and
    decompression bombs."""
    img = _header(data)
    try:
        img.load()
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError, Image.DecompressionBombError) as exc:
        raise PhotoError(_("Das Foto ist beschädigt oder unvollständig.")) from exc
    return img


def _to_srgb(img: Image.Image) -> Image.Image:
    """Convert to plain RGB (colour-managed to sRGB when the photo has an ICC profile, e.g. iPhone P3)."""
    icc = img.info.get("icc_profile")
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    elif img.mode != "RGB":
        img = img.convert("RGB")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            img = ImageCms.profileToProfile(img, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            log.info("ICC profile could not be applied; keeping the pixels as they are")
    return img


def _encode(img: Image.Image) -> bytes:
    """A fresh baseline JPEG of the pixels only: no EXIF, XMP, ICC profile or comment."""
    out = io.BytesIO()
    clean = Image.new("RGB", img.size)
    clean.paste(img)
    clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def process_photo(data: bytes, blur: bool = True) -> ProcessedPhoto:
    """Decode, apply EXIF orientation, strip metadata, bound to MAX_SIDE, blur faces and number plates (unless
    `blur` is false) and make a thumbnail (in memory)."""
    img = _open(data)
    if img.mode == "P":  # palette images are resized as colours, not as palette indices
        img = img.convert("RGBA")
    # bounded first, so orientation and colour conversion work on at most MAX_SIDE x MAX_SIDE pixels
    img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS, reducing_gap=3.0)
    try:
        img = ImageOps.exif_transpose(img)
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError):
        log.info("broken EXIF orientation ignored")
    img = _to_srgb(img)
    boxes: list[Box] = []
    if blur:
        img, boxes = anonymise(img)
    return _processed(img, tuple(boxes))


def _processed(img: Image.Image, boxes: tuple[Box, ...] = ()) -> ProcessedPhoto:
    jpeg = _encode(img)
    thumb_img = img.copy()
    thumb_img.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.LANCZOS)
    return ProcessedPhoto(hashlib.sha256(jpeg).hexdigest(), jpeg, _encode(thumb_img), img.width, img.height, boxes)


def reblur_photo(path: Path, boxes: list[Box]) -> ProcessedPhoto:
    """A stored photo with `boxes` (its pixels) blurred as well, re-encoded with a new thumbnail (in memory)."""
    with Image.open(path, formats=("JPEG",)) as img:
        img.load()
        return _processed(blur_boxes(img.convert("RGB"), boxes, padding=0.0), tuple(boxes))


def photo_gps(data: bytes) -> tuple[float, float] | None:
    """The (lat, lon) a photo's EXIF GPS tags give, or None; read before the metadata is stripped."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            gps = img.getexif().get_ifd(0x8825)
    except Exception:  # noqa: BLE001 - a photo without readable GPS simply has no position
        return None
    try:
        lat = _dms(gps[2]) * (-1 if str(gps.get(1, "N")).upper().startswith("S") else 1)
        lon = _dms(gps[4]) * (-1 if str(gps.get(3, "E")).upper().startswith("W") else 1)
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None
    return lat, lon


def _dms(value) -> float:
    d, m, s = (float(v) for v in value)
    return d + m / 60 + s / 3600


def is_stored_name(name: str) -> bool:
    """Whether `name` has the form of a content-addressed photo or thumbnail name."""
    return bool(NAME_PATTERN.match(name))
