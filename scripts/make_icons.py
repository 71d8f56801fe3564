"""Draw the web app's icons (app/static/icons/*.png): a white map pin on the city's red, plain Pillow.

Run with the project's interpreter after changing the drawing: `.venv/bin/python scripts/make_icons.py`.
The PNGs are committed, so neither the service nor its tests draw them.
"""
from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parents[1] / "app" / "static" / "icons"
RED = (179, 0, 27)
WHITE = (255, 255, 255)
SCALE = 4  # drawn larger, then scaled down: smooth edges without an anti-aliasing library


def pin(size: int, safe: float, rounded: bool) -> Image.Image:
    """A square icon of `size` px; the pin fills `safe` (0-1) of it (maskable icons need 0.8 or less)."""
    big = size * SCALE
    img = Image.new("RGB", (big, big), RED)
    if rounded:  # a rounded square on transparency for ordinary ("any") icons
        img = Image.new("RGBA", (big, big), (0, 0, 0, 0))
        ImageDraw.Draw(img).rounded_rectangle((0, 0, big - 1, big - 1), radius=big // 6, fill=RED)
    d = ImageDraw.Draw(img)
    h = big * safe                       # pin height
    r = h * 0.3                          # head radius
    cx, top = big / 2, (big - h) / 2
    cy = top + r
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=WHITE)
    d.polygon([(cx - r * 0.87, cy + r * 0.5), (cx + r * 0.87, cy + r * 0.5), (cx, top + h)], fill=WHITE)
    ri = r * 0.42
    d.ellipse((cx - ri, cy - ri, cx + ri, cy + ri), fill=RED)
    # three spray dots: it is about graffiti
    for dx, dy, rr in ((1.25, -0.9, 0.13), (1.55, -0.45, 0.09), (1.5, -1.25, 0.08)):
        x, y, s = cx + r * dx, cy + r * dy, r * rr
        d.ellipse((x - s, y - s, x + s, y + s), fill=WHITE)
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    """Write every icon the manifest and the pages name."""
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        pin(size, 0.72, rounded=True).save(OUT / f"icon-{size}.png", optimize=True)
        pin(size, 0.56, rounded=False).save(OUT / f"maskable-{size}.png", optimize=True)
    pin(180, 0.62, rounded=False).save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
