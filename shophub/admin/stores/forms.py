"""The form that creates a store (its rules are in shophub.stores.service)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length, Optional

from shophub.web.forms import cleaned


class StoreForm(FlaskForm):
    """A new store: slug, name, first domain, currency and owner."""

    slug = StringField("Slug", validators=[DataRequired(), Length(max=60)], filters=[cleaned],
                       description="Lower-case letters, digits and hyphens, e.g. corner-shop; "
                                   "it also serves as <slug>.localhost on a laptop.")
    name = StringField("Name", validators=[DataRequired(), Length(max=120)], filters=[cleaned])
    domain = StringField("Domain", validators=[Optional(), Length(max=253)], filters=[cleaned],
                         description="The host name shoppers use, e.g. shop.example.com.")
    currency = StringField("Currency", validators=[Optional(), Length(max=3)],
                           filters=[cleaned], description="ISO 4217 code; empty: the default.")
    owner = EmailField("Owner's email", validators=[Optional(), Length(max=254)],
                       filters=[cleaned],
                       description="They become the store's owner; without an account they "
                                   "get an invite by mail. Empty: invite one later from the "
                                   "store's Staff page (platform owners act as owners there).")
