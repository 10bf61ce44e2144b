"""Stored pictures: writing every web size of an image, and drawing placeholder art locally."""

import contextlib
import hashlib
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from shophub.platform.storage import (
    IMAGE_WIDTHS,
    PICTURE_CONTENT_TYPE,
    MediaStorage,
    StorageError,
    picture_key,
    picture_keys,
)

PALETTES = [
    ((236, 226, 208), (201, 178, 146), (120, 84, 52)),
    ((214, 228, 222), (150, 186, 170), (38, 84, 66)),
    ((226, 222, 238), (172, 160, 206), (72, 58, 122)),
    ((240, 218, 210), (214, 150, 128), (128, 58, 40)),
    ((216, 226, 238), (140, 170, 206), (36, 66, 110)),
    ((232, 232, 218), (186, 186, 140), (86, 86, 40)),
]


def save_web_sizes(image: Image.Image, file_base: str, storage: MediaStorage) -> str:
    """Store `image` as WebP at every width in IMAGE_WIDTHS; returns the stored file name.

    StorageError when the storage fails, after taking back the sizes already stored.
    """
    image = image.convert("RGB")
    stored: list[str] = []
    try:
        for width in IMAGE_WIDTHS:
            height = round(image.height * width / image.width)
            resized = image if width == image.width else image.resize(
                (width, height), Image.Resampling.LANCZOS
            )
            encoded = BytesIO()
            resized.save(encoded, "WEBP", quality=80, method=2)
            key = picture_key(file_base, width)
            storage.put(key, encoded.getvalue(), PICTURE_CONTENT_TYPE)
            stored.append(key)
    except StorageError:
        for key in stored:
            with contextlib.suppress(StorageError):
                storage.delete(key)
        raise
    return file_base


def stored_sizes_exist(file_base: str, storage: MediaStorage) -> bool:
    """Whether every web size of a stored picture is in the media storage."""
    return all(storage.exists(key) for key in picture_keys(file_base))


def _mix(first, second, share: float) -> tuple[int, ...]:
    return tuple(round(a + (b - a) * share) for a, b in zip(first, second, strict=True))


def _gradient(size: tuple[int, int], top, bottom) -> Image.Image:
    width, height = size
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / max(1, height - 1)
        column.putpixel((0, y), _mix(top, bottom, t))
    return column.resize(size)


def draw_placeholder(seed_text: str, title: str = "", size=(800, 800), palette_index: int = 0):
    """A calm generated picture: gradient, soft shapes from a hash of `seed_text`, a title band."""
    light, mid, dark = PALETTES[palette_index % len(PALETTES)]
    image = _gradient(size, light, _mix(light, mid, 0.5))
    draw = ImageDraw.Draw(image, "RGBA")
    digest = hashlib.sha256(seed_text.encode()).digest()
    width, height = size
    short = min(width, height)
    centre_x, centre_y = width / 2, height * 0.42
    # A soft spotlight in the middle, then two accents placed from the hash, kept inside the frame.
    spot = short * (0.26 + digest[0] / 255 * 0.08)
    draw.ellipse((centre_x - spot, centre_y - spot, centre_x + spot, centre_y + spot),
                 fill=(*mid, 110))
    for i, alpha in ((1, 70), (2, 45)):
        radius = short * (0.07 + digest[i * 3] / 255 * 0.08)
        x = radius + digest[i * 3 + 1] / 255 * (width - 2 * radius)
        y = radius + digest[i * 3 + 2] / 255 * (height * 0.7 - 2 * radius)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(*dark, alpha))
    # Opaque colours only for rounded shapes: Pillow draws their parts overlapping.
    item = short * 0.16
    item_colour = _mix(dark, mid, 0.3)
    draw.rounded_rectangle(
        (centre_x - item, centre_y - item * 1.1, centre_x + item, centre_y + item * 1.1),
        radius=item * 0.35, fill=item_colour,
    )
    if title:
        _draw_title_band(draw, title, size, dark)
    return image


def _draw_title_band(draw: ImageDraw.ImageDraw, title: str, size, dark) -> None:
    width, height = size
    font = ImageFont.load_default(size=max(18, round(min(width, height) * 0.065)))
    lines = _wrap(draw, title, font, width * 0.8)
    line_height = font.size * 1.25
    y = height - line_height * len(lines) - height * 0.08
    draw.rectangle((0, y - height * 0.04, width, height), fill=(*dark, 215))
    for line in lines:
        text_width = draw.textlength(line, font=font)
        draw.text(((width - text_width) / 2, y), line, font=font, fill=(255, 255, 255))
        y += line_height


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, max_width: float) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines[:3]
