"""Newsletter forms (Flask-WTF: CSRF and field validation)."""

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation

from shophub.accounts.users import AccountError, normalise_email
from shophub.newsletter.service import BODY_MAX, SUBJECT_MAX
from shophub.web.forms import email_field


class SignupForm(FlaskForm):
    """The footer's sign-up: one address."""

    email = email_field("Your email")

    def validate_email(self, field) -> None:
        """A confirmation mail needs an address that can take mail."""
        try:
            field.data = normalise_email(field.data)
        except AccountError as error:
            raise StopValidation(str(error)) from None


class CampaignForm(FlaskForm):
    """A campaign's subject and Markdown text (its buttons say preview or save)."""

    subject = StringField("Subject", validators=[DataRequired(message="Write a subject."),
                                                 Length(max=SUBJECT_MAX)])
    body = TextAreaField("Text (Markdown)", validators=[
        DataRequired(message="Write some text."), Length(max=BODY_MAX)],
        description="Markdown: **bold**, *italic*, [a link](https://example.com), "
                    "lists with -. HTML is shown as text.")

