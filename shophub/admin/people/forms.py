"""Forms of the people pages: staff invites, role changes and accepting an invite."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from shophub.accounts.users import PASSWORD_MAX_LENGTH
from shophub.admin.people.service import INVITE_ROLES, ROLE_LABELS
from shophub.catalog.filters import clean_text


def _strip(value):
    return clean_text(value, 1000) if isinstance(value, str) else value


class InviteForm(FlaskForm):
    """Invite someone to the staff by email."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)], filters=[_strip])
    role = SelectField("Role",
                       choices=[SelectChoice(role, ROLE_LABELS[role]) for role in INVITE_ROLES])


class RoleForm(FlaskForm):
    """Give an account another role."""

    role = SelectField("Role",
                       choices=[SelectChoice(key, label) for key, label in ROLE_LABELS.items()])


class AcceptInviteForm(FlaskForm):
    """The invitee's name and password."""

    name = StringField("Your name", validators=[Optional(), Length(max=120)], filters=[_strip])
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)],
        description="At least 10 characters.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )
