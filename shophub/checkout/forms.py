"""Checkout forms (Flask-WTF: CSRF and field validation)."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional, StopValidation

from shophub.accounts.forms import AddressForm
from shophub.accounts.users import AccountError, normalise_email
from shophub.web.forms import cleaned, email_field


class ContactForm(AddressForm):
    """Step 1: where to send the order and where to write about it."""

    email = email_field("Email for the receipt")
    newsletter = BooleanField("Also send me the newsletter (you confirm by mail first)")

    def validate_email(self, field) -> None:
        """The receipt and order mails need an address that can take mail."""
        try:
            field.data = normalise_email(field.data)
        except AccountError as error:
            raise StopValidation(str(error)) from None


class ShippingForm(FlaskForm):
    """Step 2: how to send it, and a discount code."""

    shipping_method = RadioField("Shipping method", coerce=str,
                                 validators=[DataRequired(message="Choose a shipping method.")])
    coupon_code = StringField("Discount code", validators=[Optional(), Length(max=40)],
                              filters=[cleaned])


class CouponForm(FlaskForm):
    """Apply or remove a discount code."""

    coupon_code = StringField("Discount code", validators=[Optional(), Length(max=40)],
                              filters=[cleaned])


class DemoCardForm(FlaskForm):
    """The demo provider's card form: only its test card numbers do anything."""

    card_number = StringField("Card number", validators=[DataRequired(), Length(max=30)],
                              filters=[cleaned])
    expiry = StringField("Expiry (MM / YY)", validators=[DataRequired(), Length(max=7)],
                         filters=[cleaned])
    cvc = StringField("CVC", validators=[DataRequired(), Length(min=3, max=4)],
                      filters=[cleaned])
