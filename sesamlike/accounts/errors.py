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


class ClinicDetailsTooLong(Invalid):
    code = "clinic_details_too_long"
    message = (
        "Vårdenhetens kod får ha högst {code_max} tecken, namnet högst {name_max} "
        "och kostnadsstället högst {cost_centre_max}."
    )


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


class UsernameTakenInOtherCase(UsernameTaken):
    """The name differs from an existing one only in case: the same login."""

    message = (
        "Användarnamnet är upptaget: {username} finns redan, och stora och små "
        "bokstäver räknas som samma."
    )


class ClinicRequired(Invalid):
    code = "clinic_required"
    message = "Förskrivare och verksamhetschefer behöver en vårdenhet."


class ClinicsNotForRole(Invalid):
    code = "clinics_not_for_role"
    message = (
        "Bara förskrivare och verksamhetschefer har vårdenheter: välj ingen för "
        "den här rollen."
    )


class FirstTimeRightNotForRole(Invalid):
    code = "first_time_right_not_for_role"
    message = "Bara förskrivare kan få göra nyförskrivning av pump och CGM."


class UnknownUser(Invalid):
    code = "unknown_user"
    message = "Okänd användare: {username}."


class TokenDaysOutOfRange(Invalid):
    code = "token_days_out_of_range"
    message = "Ange 1–{max} dagar."


class AccountDeactivated(Conflict):
    code = "account_deactivated"
    message = "Kontot {username} är avstängt."


class UsernameTooLong(Invalid):
    code = "username_too_long"
    message = "Användarnamnet får ha högst 80 tecken."


class UsernameIdentityNumber(Invalid):
    code = "username_identity_number"
    message = "Användarnamnet får inte vara ett personnummer eller samordningsnummer."


class UsernameCharacters(Invalid):
    code = "username_characters"
    message = (
        "Användarnamnet får bara ha bokstäverna a–z (stora eller små, inte å, ä, ö), "
        "siffror, punkt, bindestreck, understreck och @ (inga mellanslag)."
    )


class NameRequired(Invalid):
    code = "name_required"
    message = "Ange användarens namn."


class NameTooLong(Invalid):
    code = "name_too_long"
    message = "Namnet får ha högst 120 tecken."


class AccountInvalid(Invalid):
    """Several faults in a new account's details; `fields` names them all."""

    code = "account_invalid"
    message = "Kontot skapades inte. Rätta de markerade uppgifterna."


class AccountChangeInvalid(Invalid):
    """Several faults in an account's changed details; `fields` names them all."""

    code = "account_change_invalid"
    message = "Ändringarna sparades inte. Rätta de markerade uppgifterna."


class EmailFormat(Invalid):
    code = "email_format"
    message = "E-postadressen ser inte rätt ut."


class EmailRequired(Invalid):
    code = "email_required"
    message = "Ange en e-postadress: länken för att välja lösenord skickas dit."


class PortalAccountsByCli(Invalid):
    code = "portal_accounts_by_cli"
    message = (
        "Konton för patienter och vårdnadshavare kopplas till en patient: "
        "skapa dem på patientens sida under Patientkopplingar."
    )


class RoleChangeAcrossPortal(Invalid):
    code = "role_change_across_portal"
    message = (
        "Ett personalkonto kan inte bli patient eller vårdnadshavare, eller tvärtom."
    )


class OwnAdminRole(Conflict):
    code = "own_admin_role"
    message = "Du kan inte ta bort din egen administratörsroll."


class OwnAccount(Conflict):
    code = "own_account"
    message = "Du kan inte stänga av ditt eget konto."


class AccountActive(Conflict):
    code = "account_active"
    message = "Kontot {username} är redan aktivt."


class PortalLoginDetails(Invalid):
    """An admin may not change who a patient's or guardian's login is: with
    an address of their own, the password link would go to the admin."""

    code = "portal_login_details"
    message = (
        "En patients eller vårdnadshavares namn och e-postadress kan inte ändras "
        "av en administratör."
    )


class NoEmail(Invalid):
    code = "no_email"
    message = "Kontot {username} har ingen e-postadress: lägg till en först."


class PasswordLinkInvalid(Invalid):
    code = "password_link_invalid"
    message = (
        "Länken fungerar inte längre: den är redan använd eller för gammal. "
        "Be regionens IT-förvaltning om en ny."
    )


class PasswordsDiffer(Invalid):
    code = "passwords_differ"
    message = "Lösenorden skiljer sig åt."
