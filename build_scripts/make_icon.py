"""Draw the application icon (resources/icons/app.png and app.ico) with the bundled font.

    python build_scripts/make_icon.py

The outputs are committed; run this only to change the icon.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
FONT = ROOT / "resources" / "fonts" / "wqy-microhei.ttf"
OUT = ROOT / "resources" / "icons"


def draw(size: int) -> Image.Image:
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    radius = size // 6
    pen.rounded_rectangle((0, 0, size - 1, size - 1), radius=radius, fill=(179, 38, 30, 255))
    # A progress bar along the bottom: green, amber, red.
    bar_top = int(size * 0.78)
    third = size // 3
    for index, colour in enumerate(((58, 157, 74), (224, 161, 0), (255, 255, 255))):
        pen.rectangle(
            (index * third, bar_top, (index + 1) * third, size - radius // 2), fill=(*colour, 255)
        )
    font = ImageFont.truetype(str(FONT), int(size * 0.62))
    box = pen.textbbox((0, 0), "静", font=font)
    x = (size - (box[2] - box[0])) / 2 - box[0]
    y = (bar_top - (box[3] - box[1])) / 2 - box[1]
    pen.text((x, y), "静", font=font, fill=(255, 255, 255, 255))
    return image


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    big = draw(256)
    big.save(OUT / "app.png")
    big.save(
        OUT / "app.ico",
        sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)],
    )
    print(f"wrote {OUT / 'app.png'} and {OUT / 'app.ico'}")


if __name__ == "__main__":
    main()
