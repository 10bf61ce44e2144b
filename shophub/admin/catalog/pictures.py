"""Pictures in the catalog admin: reading and checking uploads, storing them at the web sizes,
and a product's pictures (adding, alt text, order, removing).

Uploads are checked by their content with Pillow, whatever the file is called, and stored at
the web sizes like the demo pictures. Home banners use the same reading and storing.
"""

import logging
import secrets
import warnings
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select

from shophub.admin.catalog.common import (
    CatalogAdminError,
    Invalid,
    NotFound,
    check_length,
    clean,
    commit_and_refresh_listings,
    get_product,
)
from shophub.catalog.pictures import save_web_sizes
from shophub.extensions import db
from shophub.models import ProductImage
from shophub.platform import audit, tenancy
from shophub.platform.storage import StorageError, media_storage, picture_keys

log = logging.getLogger(__name__)

# Uploads: checked here rather than with MAX_CONTENT_LENGTH, so other forms keep their limits.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
# A picture at most this many times as wide as it is tall, or as tall as it is wide: beyond it
# a web size would round to no pixels at all one way, or to millions the other.
MAX_ASPECT_RATIO = 8
IMAGE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")


# ---------------------------------------------------------------------------------------------
# Reading, storing and removing picture files


def read_picture(upload) -> Image.Image:
    """The uploaded picture, checked by its content, loaded and upright; CatalogAdminError."""
    # Only JPEG, PNG, WebP and GIF content is accepted, whatever the file is called; files over
    # MAX_UPLOAD_BYTES and pictures over MAX_IMAGE_PIXELS are refused before decoding.
    if upload is None or not getattr(upload, "filename", ""):
        raise CatalogAdminError("Choose a picture to upload.")
    data = upload.stream.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise CatalogAdminError(f"The picture is larger than {MAX_UPLOAD_BYTES // 2**20} MB; "
                                "upload a smaller file.")
    if not data:
        raise CatalogAdminError("The file is empty.")
    refused = CatalogAdminError("That file is not a JPEG, PNG, WebP or GIF picture.")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data), formats=IMAGE_FORMATS) as probe:
                width, height = probe.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise CatalogAdminError(
                        f"The picture is {width} × {height} pixels; the most is "
                        f"{MAX_IMAGE_PIXELS // 1_000_000} million pixels.")
                if width < 1 or height < 1 or max(width, height) > MAX_ASPECT_RATIO * min(
                        width, height):
                    raise CatalogAdminError(
                        f"The picture is {width} × {height} pixels: crop it so that it is at "
                        f"most {MAX_ASPECT_RATIO} times as wide as it is tall, or as tall as "
                        "it is wide.")
                probe.verify()
            image = Image.open(BytesIO(data), formats=IMAGE_FORMATS)
            image.load()
            image = ImageOps.exif_transpose(image)
        except CatalogAdminError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise CatalogAdminError("The picture is too large to open.") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError,
                IndexError, TypeError):
            raise refused from None
    if image.width < 1 or image.height < 1:
        raise refused
    return _flatten(image)


def _flatten(image: Image.Image) -> Image.Image:
    """Transparent parts on white (WebP output is RGB)."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def store_picture(image: Image.Image, folder: str, stem: str) -> str:
    """Save a checked picture at the web sizes under `folder`; returns its stored file name.

    Invalid (on the `image` field) when the media storage fails; the sizes already stored are
    taken back then.
    """
    # The random part gives every upload a name of its own, which lets /media and a CDN cache
    # the files for good (storage.LONG_CACHE_CONTROL).
    base = f"{folder}/{stem[:180]}-{secrets.token_hex(4)}"
    storage = media_storage()
    try:
        return save_web_sizes(image, base, storage)
    except StorageError as error:
        log.warning("Could not store the picture %s: %s", base, error)
        raise Invalid({"image": "The picture could not be stored just now; "
                                "please try again in a minute."}) from None


def remove_picture_files(file: str | None, column) -> None:
    """Delete every web size of a stored picture unless another row still shows it.

    Callers remove the files only after the commit (or rollback) that let go of the picture; a
    failed delete is logged, not raised: the database change stands, and a leftover file is
    harmless (nothing links to it). Deleting first would lose a picture whose commit then failed.
    """
    # Keys are not per store (the demo pictures have fixed names): a row of any store counts.
    if not file or db.session.scalar(tenancy.across_stores(
            select(func.count()).where(column == file))):
        return
    storage = media_storage()
    for key in picture_keys(file):
        try:
            storage.delete(key)
        except StorageError as error:
            log.warning("Could not delete the picture file %s, left behind unused: %s",
                        key, error)


# ---------------------------------------------------------------------------------------------
# A product's pictures


def _check_alt(alt_text, required: bool = True) -> str:
    alt = clean(alt_text, 255)
    errors: dict[str, str] = {}
    check_length(errors, "alt_text", alt, 255, "alt text", required=required)
    if errors:
        raise Invalid(errors)
    return alt


def _image_of(product_id: int, image_id: int) -> ProductImage:
    image = db.session.scalar(select(ProductImage).where(
        ProductImage.id == image_id, ProductImage.product_id == product_id))
    if image is None:
        raise NotFound("That picture does not exist any more.")
    return image


def add_image(product_id: int, upload, alt_text) -> ProductImage:
    """Check, resize and store an uploaded picture as the product's last one."""
    product = get_product(product_id)
    alt = _check_alt(alt_text)
    image = read_picture(upload)
    file = store_picture(image, "products", product.slug)
    position = 1 + max((i.position for i in product.images), default=-1)
    picture = ProductImage(file=file, alt_text=alt, position=position)
    product.images.append(picture)
    db.session.flush()
    audit.record("product.image_added", "product", product.id,
                 f"Picture added to {product.name}", after={"file": file, "alt_text": alt})
    try:
        commit_and_refresh_listings()
    except Exception:
        db.session.rollback()
        remove_picture_files(file, ProductImage.file)
        raise
    return picture


def update_image_alt(product_id: int, image_id: int, alt_text) -> ProductImage:
    """Change a picture's alt text."""
    image = _image_of(product_id, image_id)
    alt = _check_alt(alt_text)
    if alt != image.alt_text:
        audit.record("product.image_updated", "product", product_id,
                     f"Alt text of a picture of {image.product.name} changed",
                     before={"alt_text": image.alt_text}, after={"alt_text": alt})
        image.alt_text = alt
        commit_and_refresh_listings()
    return image


def move_image(product_id: int, image_id: int, direction: str) -> None:
    """Move a picture one place up or down; the first picture is the product's main one."""
    if direction not in ("up", "down"):
        raise CatalogAdminError("Move a picture up or down.")
    image = _image_of(product_id, image_id)
    images = list(image.product.images)
    index = images.index(image)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(images):
        return
    before = [i.id for i in images]
    images[index], images[other] = images[other], images[index]
    for position, item in enumerate(images):
        item.position = position
    audit.record("product.images_reordered", "product", product_id,
                 f"Pictures of {image.product.name} reordered",
                 before={"order": before}, after={"order": [i.id for i in images]})
    commit_and_refresh_listings()


def delete_image(product_id: int, image_id: int) -> None:
    """Remove a picture and its files."""
    image = _image_of(product_id, image_id)
    file, name = image.file, image.product.name
    audit.record("product.image_deleted", "product", product_id, f"Picture of {name} removed",
                 before={"file": file, "alt_text": image.alt_text})
    db.session.delete(image)
    commit_and_refresh_listings()
    remove_picture_files(file, ProductImage.file)
