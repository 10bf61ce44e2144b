"""The "notify me" form of a sold-out variant (Flask-WTF: CSRF and field validation)."""

from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import StopValidation

from shophub.accounts.users import AccountError, normalise_email
from shophub.web.forms import email_field


class NotifyMeForm(FlaskForm):
    """An address to mail once when the variant can be bought again."""

    variant_id = HiddenField()
    email = email_field("Email me when it is back")

    def validate_email(self, field) -> None:
        """The mail needs an address that can take mail."""
        try:
            field.data = normalise_email(field.data)
        except AccountError as error:
            raise StopValidation(str(error)) from None
