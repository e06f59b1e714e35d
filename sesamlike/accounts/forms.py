from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    username = StringField("Användarnamn", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Lösenord", validators=[DataRequired(), Length(max=200)])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token: logout, language switch, cancel buttons."""
