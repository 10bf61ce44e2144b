"""Forms of the people pages: staff invites, role changes and accepting an invite."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from shophub.accounts.forms import new_password_fields
from shophub.admin.people.service import INVITE_ROLES, ROLE_LABELS, assignable_roles
from shophub.web.forms import cleaned, email_field


class InviteForm(FlaskForm):
    """Invite someone to the staff by email."""

    email = email_field()
    role = SelectField("Role",
                       choices=[SelectChoice(role, ROLE_LABELS[role]) for role in INVITE_ROLES])


def invite_form(actor) -> InviteForm:
    """The invite form offering the roles `actor` may give (owner only to an owner)."""
    form = InviteForm()
    form.role.choices = [SelectChoice(role, label)
                         for role, label in assignable_roles(actor).items()
                         if role in INVITE_ROLES]
    return form


class RoleForm(FlaskForm):
    """Give an account another role."""

    role = SelectField("Role",
                       choices=[SelectChoice(key, label) for key, label in ROLE_LABELS.items()])


class AcceptInviteForm(FlaskForm):
    """The invitee's name and password."""

    name = StringField("Your name", validators=[Optional(), Length(max=120)], filters=[cleaned])
    password, confirm = new_password_fields()
