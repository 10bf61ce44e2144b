"""Pieces every blueprint's forms share: the input filter and the email field."""

from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from shophub.core.text import clean_text


def cleaned(value):
    """WTForms filter: typed text through core.text's cleaning rule; other values untouched."""
    return clean_text(value, 1000) if isinstance(value, str) else value


def email_field(label: str = "Email") -> EmailField:
    """A required email field, cleaned, at most 254 characters."""
    return EmailField(label, validators=[DataRequired(), Length(max=254)], filters=[cleaned])
