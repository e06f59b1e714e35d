from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from sesamlike.common.forms import PageForm
from sesamlike.common.i18n import N_


class LoginForm(PageForm):
    username = StringField("Användarnamn", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Lösenord", validators=[DataRequired(), Length(max=200)])


class ForgottenPasswordForm(PageForm):
    identifier = StringField(
        "Användarnamn eller e-postadress",
        validators=[
            DataRequired(N_("Skriv ditt användarnamn eller din e-postadress.")),
            Length(max=254),
        ],
    )


class EmptyForm(PageForm):
    """A form with only the CSRF token: logout, language switch, cancel buttons."""


class ServiceErrorsForm(PageForm):
    """A form that shows a service's field errors next to its fields."""

    def add_errors(self, fields: dict[str, list[str]]) -> bool:
        """Show a service's field errors next to the fields; False if none fit."""
        shown = False
        for name, messages in fields.items():
            if name in self._fields:
                self._fields[name].errors = [*self._fields[name].errors, *messages]
                shown = True
        return shown


class PasswordLinkForm(ServiceErrorsForm):
    """Choose a password through a one-time link (the policy is the service's)."""

    password = PasswordField(
        "Nytt lösenord",
        validators=[DataRequired("Obligatoriskt."), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    repeated = PasswordField(
        "Upprepa lösenordet",
        validators=[DataRequired("Obligatoriskt."), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
