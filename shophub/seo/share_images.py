"""Share images: the 1200×630 PNG a shared link shows for a product, a category or the store.

Each is drawn with Pillow from a picture, a name, a price and the store's name, and kept in the
media storage under a key that holds a digest of all of these. A change to any of them gives a
new key, so the old image is never served again; an unchanged item is read back, not redrawn.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select

from shophub.catalog import cache as catalog_cache
from shophub.catalog import queries as catalog
from shophub.catalog.pictures import PALETTES
from shophub.core.money import CURRENCY_SYMBOLS, format_money
from shophub.extensions import db
from shophub.models import Category, Product, ProductImage, Variant
from shophub.platform import store_settings, tenancy
from shophub.platform.storage import IMAGE_WIDTHS, media_storage, picture_key

WIDTH, HEIGHT = 1200, 630
CONTENT_TYPE = "image/png"
# Part of every digest: a change to the drawing below gives every image a new key.
LAYOUT_VERSION = 1
# Debian's DejaVu fonts when installed; else the font that ships inside Pillow.
FONT_FILES = {
    True: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    False: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
}
PAPER = (250, 247, 242)
INK = (34, 31, 28)
MUTED = (110, 102, 94)
ACCENT = (128, 58, 40)
MARGIN = 60
TITLE_SIZES = (60, 52, 44, 38)
TITLE_LINES = 3
PRICE_GAP = 24
# The accent bar and the store's name, under the title.
FOOT_HEIGHT = 76


@dataclass(frozen=True)
class ShareCard:
    """Everything drawn on one share image, and the store it belongs to."""

    kind: str
    slug: str
    store_id: int
    title: str
    price_text: str
    store_name: str
    # The media storage name of the picture (without its size suffix), None for none.
    picture: str | None
    currency: str
    min_price: int | None
    max_price: int | None

    @property
    def digest(self) -> str:
        """A short hash of everything drawn: it changes whenever the image would."""
        drawn = [LAYOUT_VERSION, self.kind, self.title, self.price_text, self.store_name,
                 self.picture, self.currency, self.min_price, self.max_price]
        return hashlib.sha256(json.dumps(drawn).encode()).hexdigest()[:20]

    @property
    def key(self) -> str:
        """The media storage key the image is kept under."""
        return f"share/{self.store_id}/{self.kind}/{self.slug}-{self.digest}.png"


def price_text(lowest: int | None, highest: int | None, currency: str) -> str:
    """The price as an image shows it: '€12.90', or 'from €12.90' unless `highest` is the same.

    '' without a price; a `highest` of None (a category's many products) always reads "from".
    """
    if lowest is None:
        return ""
    shown = format_money(lowest, currency)
    return shown if highest == lowest else f"from {shown}"


def _card(kind: str, slug: str, title: str, picture: str | None,
          min_price: int | None = None, max_price: int | None = None) -> ShareCard:
    currency = store_settings.currency()
    return ShareCard(kind=kind, slug=slug, store_id=tenancy.current_store_id(), title=title,
                     price_text=price_text(min_price, max_price, currency),
                     store_name=store_settings.display_name(), picture=picture,
                     currency=currency, min_price=min_price, max_price=max_price)


def product_card(product: Product) -> ShareCard:
    """The share card of a product loaded with its variants and images."""
    prices = [variant.price_cents for variant in product.variants]
    return _card("product", product.slug, product.name,
                 product.images[0].file if product.images else None,
                 min(prices) if prices else None, max(prices) if prices else None)


def listed_product_card(slug: str) -> ShareCard | None:
    """The share card of a listed (not archived) product with variants, None when none."""
    product = catalog.get_listed_product(slug)
    if product is None or not product.variants:
        return None
    return product_card(product)


@dataclass(frozen=True)
class CategoryShare:
    """A category and its share card."""

    category: Category
    card: ShareCard


def category_share(slug: str | None) -> CategoryShare | None:
    """A category with its share card, in one statement; None when there is no such category.

    Its picture is that of its newest listed product with one (the catalog's first order), its
    price the lowest of its listed products' variants.
    """
    if not slug or len(slug) > 140 or not catalog.SLUG_PATTERN.fullmatch(slug):
        return None
    picture = (
        select(ProductImage.file)
        .join(Product, Product.id == ProductImage.product_id)
        .where(Product.category_id == Category.id, Product.archived.is_(False),
               Product.variants.any())
        .order_by(Product.created_at.desc(), Product.id.desc(), ProductImage.position,
                  ProductImage.id)
        .limit(1).correlate(Category).scalar_subquery()
    )
    lowest_price = (
        select(func.min(Variant.price_cents))
        .join(Product, Product.id == Variant.product_id)
        .where(Product.category_id == Category.id, Product.archived.is_(False))
        .correlate(Category).scalar_subquery()
    )
    row = db.session.execute(
        select(Category, picture, lowest_price).where(Category.slug == slug)).first()
    if row is None:
        return None
    category, file, lowest = row
    return CategoryShare(category, _card("category", category.slug, category.name, file, lowest))


def store_card(featured: list[catalog.ProductCard] | None = None) -> ShareCard:
    """The store's own share card (the home page's): its name, its first featured picture."""
    cards = catalog_cache.featured() if featured is None else featured
    picture = next((card.image_file for card in cards if card.image_file), None)
    return _card("store", "home", store_settings.display_name(), picture)


def image_bytes(card: ShareCard) -> bytes:
    """The card's PNG: read from the media storage, or drawn and stored when it is not there.

    StorageError when the storage (or the picture in it) cannot be reached.
    """
    storage = media_storage()
    stored = storage.get(card.key)
    if stored is not None:
        try:
            return b"".join(stored.chunks)
        finally:
            stored.close()
    data = draw(card, _picture(card.picture))
    storage.put(card.key, data, CONTENT_TYPE)
    return data


def _picture(file: str | None) -> Image.Image | None:
    # A missing or unreadable picture gives the plain panel; an unreachable storage raises.
    if not file:
        return None
    stored = media_storage().get(picture_key(file, max(IMAGE_WIDTHS)))
    if stored is None:
        return None
    try:
        data = b"".join(stored.chunks)
    finally:
        stored.close()
    try:
        with Image.open(BytesIO(data)) as opened:
            return opened.convert("RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return None


@cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(FONT_FILES[bold], size)
    except OSError:
        return ImageFont.load_default(size=size)


def _pieces(draw: ImageDraw.ImageDraw, word: str, font, width: float) -> list[str]:
    """`word` cut into hyphenated pieces that each fit `width`."""
    pieces = []
    while len(word) > 1 and draw.textlength(word, font=font) > width:
        cut = len(word) - 1
        while cut > 1 and draw.textlength(word[:cut] + "-", font=font) > width:
            cut -= 1
        pieces.append(word[:cut] + "-")
        word = word[cut:]
    return [*pieces, word]


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: float) -> list[str]:
    """`text` in lines of at most `width`; a word longer than a line is cut."""
    lines: list[str] = []
    words = [piece for word in text.split() for piece in _pieces(draw, word, font, width)]
    for word in words:
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=font) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _fit_title(draw: ImageDraw.ImageDraw, title: str, width: float):
    """The largest title size whose lines fit; the last size is cut with an ellipsis."""
    for size in TITLE_SIZES:
        font = _font(True, size)
        lines = _wrap(draw, title, font, width)
        if len(lines) <= TITLE_LINES:
            return font, lines
    lines = lines[:TITLE_LINES]
    last = lines[-1]
    while last and draw.textlength(last + "…", font=font) > width:
        last = last[:-1].rstrip()
    lines[-1] = last + "…"
    return font, lines


def _panel(card: ShareCard, picture: Image.Image | None) -> Image.Image:
    """The square on the left: the picture, cropped to fill it, or a plain coloured panel."""
    if picture is not None:
        return ImageOps.fit(picture, (HEIGHT, HEIGHT), Image.Resampling.LANCZOS)
    seed = hashlib.sha256(card.slug.encode()).digest()[0]
    light, mid, dark = PALETTES[seed % len(PALETTES)]
    panel = Image.new("RGB", (HEIGHT, HEIGHT), mid)
    draw = ImageDraw.Draw(panel)
    initial = (card.title.strip()[:1] or "·").upper()
    font = _font(True, 260)
    left, top, right, bottom = draw.textbbox((0, 0), initial, font=font)
    draw.text(((HEIGHT - right - left) / 2, (HEIGHT - bottom - top) / 2), initial, font=font,
              fill=light)
    draw.rectangle((0, HEIGHT - 12, HEIGHT, HEIGHT), fill=dark)
    return panel


def draw(card: ShareCard, picture: Image.Image | None) -> bytes:
    """Draw the card as a 1200×630 PNG: the picture on the left, the words on the right.

    The title and price sit in the middle of the right side, the store's name at its foot.
    """
    image = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    image.paste(_panel(card, picture), (0, 0))
    pen = ImageDraw.Draw(image)
    left = HEIGHT + MARGIN
    width = WIDTH - left - MARGIN
    font, lines = _fit_title(pen, card.title, width)
    line_height = round(getattr(font, "size", 40) * 1.18)
    price_font = _font(True, 48)
    block = line_height * len(lines) + (PRICE_GAP + 48 if card.price_text else 0)
    foot = HEIGHT - MARGIN - FOOT_HEIGHT
    top = MARGIN + max(0, (foot - MARGIN - block) // 2)
    for line in lines:
        pen.text((left, top), line, font=font, fill=INK)
        top += line_height
    if card.price_text:
        price = _price_line(card, price_font)
        pen.text((left, top + PRICE_GAP), _fit_line(pen, price, price_font, width),
                 font=price_font, fill=ACCENT)
    pen.rectangle((left, foot + 8, left + 120, foot + 16), fill=ACCENT)
    if card.kind != "store":
        store_font = _font(False, 30)
        pen.text((left, foot + 34), _fit_line(pen, card.store_name, store_font, width),
                 font=store_font, fill=MUTED)
    encoded = BytesIO()
    image.save(encoded, "PNG", optimize=False, compress_level=6)
    return encoded.getvalue()


# A code point no font has: what a font draws for it is its "missing glyph" box.
NO_GLYPH = "\U0010fffd"


def _glyph(font, ch: str) -> bytes:
    side = 2 * getattr(font, "size", 32)
    canvas = Image.new("L", (side, side))
    ImageDraw.Draw(canvas).text((0, 0), ch, font=font, fill=255)
    return canvas.tobytes()


def _has_glyphs(font, text: str) -> bool:
    missing = _glyph(font, NO_GLYPH)
    return all(ch.isspace() or _glyph(font, ch) != missing for ch in text)


def _price_line(card: ShareCard, font) -> str:
    """The price as drawn: with the currency's code instead of a symbol the font lacks."""
    symbol = CURRENCY_SYMBOLS.get(card.currency.upper(), "").strip()
    if not symbol or _has_glyphs(font, symbol):
        return card.price_text
    return f"{card.price_text.replace(symbol, '', 1).strip()} {card.currency.upper()}"


def _fit_line(draw: ImageDraw.ImageDraw, text: str, font, width: float) -> str:
    """`text` on one line, cut with an ellipsis when it is wider than `width`."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"
