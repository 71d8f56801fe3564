"""Real test photos for the blurring: scikit-image's shipped pictures and number plates rendered with the font
Pillow ships; nothing is downloaded. Also measures how much detail a region keeps and the detector's hit rates
(the figures in docs/citizens.md come from `python -m tests.photo_samples`)."""
import io
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

# The astronaut's face in skimage.data.astronaut() (512 x 512), found by eye: forehead to chin, ear to ear.
ASTRONAUT_FACE = (180, 70, 270, 170)   # left, top, right, bottom
NO_FACE_PHOTOS = ("coffee", "rocket", "brick", "chelsea", "grass", "gravel", "hubble_deep_field", "page", "text")
PLATE_WIDTHS = (160, 220, 300, 400, 520)   # pixels, in a 1600 x 1200 scene
PLATE_ANGLES = (0, 3, -5)                   # degrees


def skimage_photo(name: str) -> Image.Image:
    """One of scikit-image's shipped pictures as an RGB image."""
    from skimage import data

    arr = getattr(data, name)()
    if arr.dtype != np.uint8:
        arr = (arr * 255).clip(0, 255).astype(np.uint8)
    return Image.fromarray(arr).convert("RGB")


def encoded(img: Image.Image, fmt: str = "PNG") -> bytes:
    """The image as the bytes a phone would upload."""
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def render_plate(text: str, width: int) -> Image.Image:
    """A German number plate (520 x 110 proportions, blue EU strip, dark characters on white)."""
    height = round(width * 110 / 520)
    plate = Image.new("RGB", (width, height), (246, 246, 242))
    draw = ImageDraw.Draw(plate)
    border = max(2, width // 130)
    draw.rectangle((0, 0, width - 1, height - 1), outline=(10, 10, 10), width=border)
    draw.rectangle((border, border, border + width // 12, height - 1 - border), fill=(0, 51, 153))
    font = ImageFont.load_default(size=int(height * 0.72))
    draw.text((border + width // 12 + width // 30, height * 0.1), text, fill=(15, 15, 15), font=font)
    return plate


def plate_scene(width: int, angle: float = 0, seed: int = 0) -> tuple[Image.Image, tuple[int, int, int, int]]:
    """A 1600 x 1200 street-like scene of coloured blocks with one plate; returns it and the plate's box."""
    rnd = random.Random(seed)
    img = Image.new("RGB", (1600, 1200), tuple(rnd.randrange(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(20):
        x, y = rnd.randrange(1600), rnd.randrange(1200)
        draw.rectangle((x, y, x + rnd.randrange(50, 400), y + rnd.randrange(50, 300)),
                       fill=tuple(rnd.randrange(256) for _ in range(3)))
    plate = render_plate(f"HN AB {rnd.randrange(100, 9999)}", width)
    plate = plate.rotate(angle, expand=True, fillcolor=(40, 40, 40))
    x, y = rnd.randrange(0, 1600 - plate.width), rnd.randrange(0, 1200 - plate.height)
    img.paste(plate, (x, y))
    return img, (x, y, x + plate.width, y + plate.height)


def detail(img: Image.Image, box=None) -> float:
    """Fine detail in a region: the variance of the Laplacian of its grey values."""
    region = img.crop(box) if box else img
    return float(ndimage.laplace(np.asarray(region.convert("L"), dtype=float)).var())


def covered(target, boxes, padding: float) -> float:
    """The share of `target` (left, top, right, bottom) inside the union of the padded boxes."""
    left, top, right, bottom = target
    mask = np.zeros((bottom - top, right - left), dtype=bool)
    for b in boxes:
        x0, y0, x1, y1 = b.padded(padding, 10**6, 10**6)
        mask[max(0, y0 - top):max(0, y1 - top), max(0, x0 - left):max(0, x1 - left)] = True
    return float(mask.mean())


def face_hit_rate() -> tuple[int, int, int, int]:
    """scikit-image's 100 LFW faces and 100 non-faces (25 x 25, shown at 100 x 100 with a margin): faces found,
    faces, non-faces flagged, non-faces."""
    from skimage import data

    from app.services.citizen.anonymise import detect

    crops = data.lfw_subset()
    hits = false_alarms = 0
    for i, crop in enumerate(crops):
        face = Image.fromarray((crop * 255).astype(np.uint8)).resize((100, 100), Image.Resampling.BICUBIC)
        framed = Image.new("L", (200, 200), int(np.median(crop) * 255))
        framed.paste(face, (50, 50))
        found = any(b.kind == "face" for b in detect(framed.convert("RGB")))
        if i < 100:
            hits += found
        else:
            false_alarms += found
    return hits, 100, false_alarms, 100


def plate_hit_rate() -> tuple[int, int]:
    """Rendered plates (widths x angles x 2 scenes) of which at least 90 % was blurred: hits, plates."""
    from app.services.citizen.anonymise import BOX_PADDING, detect

    hits = total = 0
    for width in PLATE_WIDTHS:
        for angle in PLATE_ANGLES:
            for seed in range(2):
                img, box = plate_scene(width, angle, seed=seed * 1000 + width + angle)
                total += 1
                hits += covered(box, [b for b in detect(img) if b.kind == "plate"], BOX_PADDING) >= 0.9
    return hits, total


if __name__ == "__main__":
    from app.services.citizen.anonymise import detect

    hits, faces, false_alarms, non_faces = face_hit_rate()
    print(f"faces (LFW): {hits} of {faces} found; non-faces flagged: {false_alarms} of {non_faces}")
    found, plates = plate_hit_rate()
    print(f"number plates (rendered): {found} of {plates} blurred")
    for name in NO_FACE_PHOTOS + ("astronaut",):
        print(name, [(b.kind, b.x, b.y, b.w, b.h) for b in detect(skimage_photo(name))])
