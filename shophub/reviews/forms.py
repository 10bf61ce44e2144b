"""Review forms (Flask-WTF: CSRF token and field validation); the limits are the model's."""

from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from shophub.core.text import clean_text
from shophub.models.reviews import AUTHOR_MAX, BODY_MAX, REPLY_MAX, TITLE_MAX
from shophub.reviews.service import STARS, ReviewInput


def _kept(limit: int, multiline: bool = False):
    """A filter that cleans text but keeps one character past `limit`, so "too long" shows."""
    def keep(value):
        return clean_text(value, limit + 1, multiline=multiline) if isinstance(value, str) \
            else value
    return keep


def _too_long(limit: int) -> str:
    return f"At most {limit:,} characters, please."


class ReviewForm(FlaskForm):
    """A rating from 1 to 5 stars, a title, the text and the name it is signed with."""

    rating = RadioField(
        "Your rating",
        choices=[SelectChoice(str(n), f"{n} star{'s' if n > 1 else ''}") for n in STARS],
        validators=[InputRequired(message="Choose a rating from 1 to 5 stars.")],
        validate_choice=False,
    )
    title = StringField("Title", validators=[
        DataRequired(message="Give the review a title."),
        Length(max=TITLE_MAX, message=_too_long(TITLE_MAX))], filters=[_kept(TITLE_MAX)])
    body = TextAreaField("Your review", validators=[
        Length(max=BODY_MAX, message=_too_long(BODY_MAX))],
        filters=[_kept(BODY_MAX, multiline=True)],
        description=f"What you liked or did not; at most {BODY_MAX:,} characters.")
    author_name = StringField("Shown as", validators=[
        DataRequired(message="Sign the review with a name."),
        Length(max=AUTHOR_MAX, message=_too_long(AUTHOR_MAX))], filters=[_kept(AUTHOR_MAX)],
        description="Shown with the review; your email and address never are.")

    def validate_rating(self, field):
        """Refuse any rating but 1 to 5 ("0", "6", "x") with a message that says so."""
        if field.data not in {str(n) for n in STARS}:
            raise ValidationError("Choose a rating from 1 to 5 stars.")

    def review_input(self) -> ReviewInput:
        """What was typed, for the review service."""
        return ReviewInput(rating=int(self.rating.data), title=self.title.data or "",
                           body=self.body.data or "", author_name=self.author_name.data or "")


class ReplyForm(FlaskForm):
    """The shop's reply under a review; empty removes it."""

    reply = TextAreaField("Reply from the shop", validators=[
        Length(max=REPLY_MAX, message=_too_long(REPLY_MAX))],
        filters=[_kept(REPLY_MAX, multiline=True)],
        description="Shown under the review on the product page. Leave empty to remove it.")
