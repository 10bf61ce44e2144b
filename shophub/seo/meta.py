"""Titles and descriptions of pages as search engines and shared links show them."""

import re

TITLE_MAX = 70
DESCRIPTION_MAX = 160
# A sentence ends at ., ! or ? followed by a space or the end of the text.
SENTENCE_END = re.compile(r"(?<=[.!?])(?=\s|$)")


def first_sentence(text: str | None, limit: int = DESCRIPTION_MAX) -> str:
    """The first sentence of `text` on one line, cut at a word to at most `limit` characters."""
    flat = " ".join((text or "").split())
    if not flat:
        return ""
    match = SENTENCE_END.search(flat)
    sentence = flat[: match.start()] if match else flat
    if len(sentence) <= limit:
        return sentence
    cut = sentence[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"


def _title(own: str | None, name: str, store_name: str) -> str:
    if own and own.strip():
        return own.strip()
    return f"{name} · {store_name}"


def product_title(product, store_name: str) -> str:
    """The product's own title, else its name and the store's name."""
    return _title(product.meta_title, product.name, store_name)


def product_description(product, store_name: str) -> str:
    """The product's own description, else its description's first sentence."""
    if product.meta_description and product.meta_description.strip():
        return product.meta_description.strip()
    return first_sentence(product.description) or f"{product.name} at {store_name}."


def category_title(category, store_name: str) -> str:
    """The category's own title, else its name and the store's name."""
    return _title(category.meta_title, category.name, store_name)


def category_description(category, store_name: str) -> str:
    """The category's own description, else its description's first sentence."""
    if category.meta_description and category.meta_description.strip():
        return category.meta_description.strip()
    return (first_sentence(category.description)
            or f"{category.name} at {store_name}: shop online.")

