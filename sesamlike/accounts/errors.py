"""Refusals of account use cases, each with a stable code for pages, API and CLI."""

from sesamlike.common.errors import Conflict, Invalid


class PasswordTooShort(Invalid):
    code = "password_too_short"
    message = "Lösenordet måste ha minst {n} tecken."


class PasswordContainsUsername(Invalid):
    code = "password_contains_username"
    message = "Lösenordet får inte innehålla användarnamnet."


class PasswordTooCommon(Invalid):
    code = "password_too_common"
    message = "Lösenordet är för lätt att gissa. Välj en längre fras."


class ClinicDetailsRequired(Invalid):
    code = "clinic_details_required"
    message = "Kod, namn och kostnadsställe krävs."


class ClinicExists(Conflict):
    code = "clinic_exists"
    message = "Vårdenheten {code} finns redan."


class UnknownClinic(Invalid):
    code = "unknown_clinic"
    message = "Okänd vårdenhet: {code}."


class UnknownRole(Invalid):
    code = "unknown_role"
    message = "Okänd roll: {role}."


class UsernameRequired(Invalid):
    code = "username_required"
    message = "Användarnamn krävs."


class UsernameTaken(Conflict):
    code = "username_taken"
    message = "Användarnamnet {username} är upptaget."


class ClinicRequired(Invalid):
    code = "clinic_required"
    message = "Förskrivare och verksamhetschefer behöver en vårdenhet."


class UnknownUser(Invalid):
    code = "unknown_user"
    message = "Okänd användare: {username}."


class TokenDaysOutOfRange(Invalid):
    code = "token_days_out_of_range"
    message = "Ange 1–{max} dagar."


class AccountDeactivated(Conflict):
    code = "account_deactivated"
    message = "Kontot {username} är avstängt."
