"""Account forms (Flask-WTF: CSRF token and field validation)."""

import pycountry
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from shophub.accounts.address_book import AddressData
from shophub.accounts.users import PASSWORD_MAX_LENGTH
from shophub.web.forms import cleaned, email_field

COUNTRIES = sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])
_COUNTRY_NAMES = dict(COUNTRIES)


def country_name(code: str) -> str:
    """A country's English name from its ISO 3166 code."""
    return _COUNTRY_NAMES.get(code, code)


def new_password_fields() -> tuple[PasswordField, PasswordField]:
    """A new password and its repetition, which must match."""
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )
    return password, confirm


class LoginForm(FlaskForm):
    """Email and password."""

    email = email_field()
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Keep me logged in on this device")


class RegisterForm(FlaskForm):
    """Ask for a link that creates a customer account."""

    name = StringField("Your name", validators=[Optional(), Length(max=120)], filters=[cleaned])
    email = email_field()


class FinishSignupForm(FlaskForm):
    """Choose the password of a new account, from its emailed link."""

    password, confirm = new_password_fields()


class ResetRequestForm(FlaskForm):
    """Ask for a password reset link."""

    email = email_field()


class ResetPasswordForm(FlaskForm):
    """Choose a new password from a reset link."""

    password, confirm = new_password_fields()


class ChangePasswordForm(FlaskForm):
    """Change the password while logged in."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    password, confirm = new_password_fields()


class ProfileForm(FlaskForm):
    """Name and email."""

    name = StringField("Name", validators=[Optional(), Length(max=120)], filters=[cleaned])
    email = email_field()


ADDRESS_KEYS = ("full_name", "line1", "line2", "city", "region", "postal_code", "country",
                "phone")


class AddressForm(FlaskForm):
    """A postal address."""

    full_name = StringField("Full name", validators=[DataRequired(), Length(max=120)],
                            filters=[cleaned])
    line1 = StringField("Address", validators=[DataRequired(), Length(max=200)], filters=[cleaned])
    line2 = StringField("Apartment, suite, etc. (optional)",
                        validators=[Optional(), Length(max=200)], filters=[cleaned])
    city = StringField("City", validators=[DataRequired(), Length(max=120)], filters=[cleaned])
    region = StringField("State / region (optional)", validators=[Optional(), Length(max=120)],
                         filters=[cleaned])
    postal_code = StringField("Postal code", validators=[DataRequired(), Length(max=20)],
                              filters=[cleaned])
    country = SelectField("Country", validators=[DataRequired()],
                          choices=[SelectChoice("", "Choose a country…")]
                          + [SelectChoice(code, name) for code, name in COUNTRIES])
    phone = StringField("Phone (optional)", validators=[Optional(), Length(max=40)],
                        filters=[cleaned])
    make_default = BooleanField("Use as my default address")

    def address_dict(self) -> dict:
        """The address fields as a plain dict (for a checkout draft)."""
        return {key: getattr(self, key).data or "" for key in ADDRESS_KEYS}

    def data_for_book(self) -> AddressData:
        """The cleaned fields as the address book takes them."""
        return AddressData(
            full_name=self.full_name.data, line1=self.line1.data, line2=self.line2.data or "",
            city=self.city.data, region=self.region.data or "",
            postal_code=self.postal_code.data, country=self.country.data,
            phone=self.phone.data or "",
        )
