"""Faces and number plates are blurred before a photo is stored: detection runs locally, nothing is downloaded.

The detectors are OpenCV's Haar cascades as shipped inside the `opencv-python-headless` wheel (`cv2.data`):
frontal faces, profile faces (both ways round, the cascade knows one) and number plates (the cascade was
trained on Russian plates, which share the European white rectangle with dark characters). Their hit rates on
the test images are stated in docs/citizens.md. OpenCV is imported on the first photo only, so starting the
service and reports without photos never pay for it.

Blurring pixelates a padded box to about ten blocks across and smooths it, so the region keeps its colours
but neither a face nor a plate's characters can be recognised. Plain PIL images in, plain images out; no
Flask here (the staff's own blur boxes use `blur_boxes` too).
"""
import logging
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

log = logging.getLogger(__name__)

BOX_PADDING = 0.2   # a detection is widened by this share of its size on every side (hair, ears, plate frame)
MIN_BLOCK_PX = 4    # the smallest pixelation block


@dataclass(frozen=True)
class Detector:
    """One cascade and how it is run: on a grey copy whose long side is at most `side` pixels."""

    kind: str                  # "face" or "plate"
    cascade: str               # file name in cv2.data.haarcascades
    scale_factor: float
    min_neighbors: int
    min_size: tuple[int, int]  # in pixels of the scaled copy
    side: int
    mirrored: bool = False     # also run on the mirrored image (the profile cascade sees one side only)


DETECTORS = (
    Detector("face", "haarcascade_frontalface_default.xml", 1.1, 5, (24, 24), 1024),
    Detector("face", "haarcascade_profileface.xml", 1.2, 5, (24, 24), 1024, mirrored=True),
    Detector("plate", "haarcascade_russian_plate_number.xml", 1.1, 3, (36, 12), 1280),
)


@dataclass(frozen=True)
class Box:
    """A region to blur, in pixels of the image it was found in."""

    x: int
    y: int
    w: int
    h: int
    kind: str = "manual"

    def padded(self, share: float, width: int, height: int) -> tuple[int, int, int, int]:
        """(left, top, right, bottom) widened by `share` of the box's size and clipped to the image."""
        px, py = round(self.w * share), round(self.h * share)
        return (max(0, self.x - px), max(0, self.y - py), min(width, self.x + self.w + px),
                min(height, self.y + self.h + py))


_local = threading.local()  # CascadeClassifier objects are not shared between threads


def _cascades() -> dict:
    cached = getattr(_local, "cascades", None)
    if cached is None:
        import cv2  # loaded with the first photo, not with the service

        cached = {}
        for d in DETECTORS:
            classifier = cv2.CascadeClassifier(cv2.data.haarcascades + d.cascade)
            if classifier.empty():
                raise RuntimeError(f"OpenCV cascade {d.cascade} could not be loaded")
            cached[d.cascade] = classifier
        _local.cascades = cached
    return cached


def _grey(img: Image.Image, side: int) -> tuple[np.ndarray, float]:
    scale = min(1.0, side / max(img.size))
    grey = img.convert("L")
    if scale < 1.0:
        grey = grey.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))),
                           Image.Resampling.BOX)
    return np.asarray(grey), scale


def detect(img: Image.Image) -> list[Box]:
    """Faces and number plates in `img` (RGB), as boxes in its pixels."""
    cascades = _cascades()
    boxes: list[Box] = []
    greys: dict[int, tuple[np.ndarray, float]] = {}
    for d in DETECTORS:
        if d.side not in greys:
            greys[d.side] = _grey(img, d.side)
        grey, scale = greys[d.side]
        views = ((grey, False), (np.ascontiguousarray(grey[:, ::-1]), True)) if d.mirrored else ((grey, False),)
        for view, flipped in views:
            found = cascades[d.cascade].detectMultiScale(view, scaleFactor=d.scale_factor,
                                                          minNeighbors=d.min_neighbors, minSize=d.min_size)
            for x, y, w, h in (found if len(found) else ()):
                if flipped:
                    x = view.shape[1] - x - w
                boxes.append(Box(round(x / scale), round(y / scale), round(w / scale), round(h / scale), d.kind))
    return boxes


def blur_boxes(img: Image.Image, boxes, padding: float = BOX_PADDING) -> Image.Image:
    """A copy of `img` with every box (widened by `padding`) pixelated and smoothed; `img` itself if none."""
    if not boxes:
        return img
    out = img.copy()
    for box in boxes:
        left, top, right, bottom = box.padded(padding, img.width, img.height)
        w, h = right - left, bottom - top
        if w < 2 or h < 2:
            continue
        block = max(MIN_BLOCK_PX, max(w, h) // 10)
        region = out.crop((left, top, right, bottom))
        coarse = region.resize((max(1, w // block), max(1, h // block)), Image.Resampling.BOX)
        smooth = coarse.resize((w, h), Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(block / 2))
        out.paste(smooth, (left, top))
    return out


def anonymise(img: Image.Image) -> tuple[Image.Image, list[Box]]:
    """`img` with faces and number plates blurred, and what was found (the same image when nothing was)."""
    boxes = detect(img)
    if boxes:
        log.info("blurred %d faces and %d number plates", sum(b.kind == "face" for b in boxes),
                 sum(b.kind == "plate" for b in boxes))
    return blur_boxes(img, boxes), boxes
