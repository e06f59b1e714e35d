"""Refusals of patient use cases, each with a stable code for pages, API and CLI."""

from sesamlike.common.errors import Conflict, Invalid
from sesamlike.common.i18n import N_


class PersonalIdRequired(Invalid):
    code = "personal_id_required"
    message = "Ange personnummer."


class PersonalIdFormat(Invalid):
    code = "personal_id_format"
    message = "Personnumret ska ha 10 eller 12 siffror (ÅÅÅÅMMDD-NNNN)."


class PersonalIdInvalid(Invalid):
    code = "personal_id_invalid"
    message = "Personnumret är inte giltigt: kontrollera siffrorna."


class ReserveNumberFormat(Invalid):
    code = "reserve_number_format"
    message = "Reservnumret ska vara 4–20 tecken (bokstäver, siffror, bindestreck)."


class SearchTextFormat(Invalid):
    code = "search_text_format"
    message = "Sök på personnummer (ÅÅÅÅMMDD-NNNN), födelsedatum eller namn."


class SearchTextControlCharacter(SearchTextFormat):
    message = "Sökningen får inte innehålla styrtecken (osynliga tecken som NUL)."


class ClinicDetailsInvalid(Invalid):
    """Bad details of a clinic; `fields` says which."""

    code = "clinic_details_invalid"
    message = "Kontrollera vårdenhetens uppgifter i de markerade fälten."


class PatientDetailsInvalid(Invalid):
    """Bad patient details; `fields` says which (code `invalid`)."""

    message = "Kontrollera de markerade fälten."


class PatientExists(Conflict):
    code = "patient_exists"
    message = "Patienten är redan registrerad."


class PatientExistsHere(PatientExists):
    message = "Patienten är redan registrerad hos din vårdenhet (patient {id})."


class PatientExistsElsewhere(PatientExists):
    message = (
        "Patienten är redan registrerad i regionen, men inte hos någon av dina "
        "vårdenheter. Kontakta regionens hjälpmedelsadministration för att "
        "registrera vårdrelationen."
    )


class NoTemporaryAddressForProtectedIdentity(Conflict):
    code = "protected_identity_no_temporary_address"
    message = (
        "Patienten har skyddade personuppgifter: leveranser går alltid till "
        "vårdenheten, så en tillfällig adress används inte."
    )


class GuardianOnlyForChild(Conflict):
    code = "guardian_only_for_child"
    message = "Vårdnadshavare kan bara läggas till för barn (0–17 år)."


class NotOwnClinic(Invalid):
    code = "not_own_clinic"
    message = "Välj en av dina vårdenheter."


class CareRelationshipExists(Conflict):
    code = "care_relationship_exists"
    message = "Patienten har redan vårdrelation med {clinic}."


class CareRelationshipEnded(Conflict):
    code = "care_relationship_ended"
    message = "Vårdrelationen är redan avslutad."


# Links between patient or guardian logins and patients (users create).


class PatientLinkNotAllowed(Invalid):
    code = "patient_link_not_allowed"
    message = "Bara patienter och vårdnadshavare kopplas till patienter."


class PatientIdRequired(Invalid):
    code = "patient_id_required"
    message = "Ange vilken patient kontot gäller (--patient-id)."


class OnePatientPerLogin(Invalid):
    code = "one_patient_per_login"
    message = "Ett patientkonto gäller exakt en patient."


class UnknownPatient(Invalid):
    code = "unknown_patient"
    message = "Okänd patient: {id}."


class TooYoungForOwnLogin(Invalid):
    code = "too_young_for_own_login"
    message = (
        "Ett barn under {age} år får inget eget konto: barnets vårdnadshavare "
        "gör ärendena. Skapa kontot för en vårdnadshavare."
    )


class PatientHasLogin(Invalid):
    code = "patient_has_login"
    message = "Patienten {id} har redan ett konto."


class NotAGuardianLogin(Invalid):
    code = "not_a_guardian_login"
    message = "Det finns inget aktivt vårdnadshavarkonto med användarnamnet {username}."


class AddressNotRecorded(Invalid):
    """A portal login's password link goes only to an address the patient's
    care recorded: the patient's own, or a guardian's of the child."""

    code = "address_not_recorded"
    message = (
        "E-postadressen är inte den som vårdenheten har registrerat för "
        "{whom}. Vårdenheten registrerar den i patientens uppgifter först."
    )


class GuardianUsernameRequired(Invalid):
    code = "guardian_username_required"
    message = "Ange vårdnadshavarens användarnamn."


class GuardianLinkExists(Conflict):
    code = "guardian_link_exists"
    message = "{username} är redan vårdnadshavare för barnet."


class ProtectionReasonRequired(Invalid):
    code = "protection_reason_required"
    message = "Ange ett skäl: det sparas i granskningsloggen."


class ProtectionUnchanged(Conflict):
    code = "protection_unchanged"
    message = "Skyddade personuppgifter är redan {state}."


class NoSuchPatient(Invalid):
    code = "no_such_patient"
    message = "Det finns ingen patient med det numret."


class UnknownClinicCode(Invalid):
    code = "unknown_clinic_code"
    message = "Välj en vårdenhet i listan."


class PortalRoleRequired(Invalid):
    code = "portal_role_required"
    message = (
        "Ett konto på patientens sida är för patienten själv eller en vårdnadshavare."
    )


# The end of a patient's care in the region (`care_end`).

CARE_END_REASON = N_("Välj om patienten har avlidit eller flyttat från regionen.")
CARE_END_DAY_REQUIRED = N_("Ange datum.")
CARE_END_DAY_AHEAD = N_("Datumet kan inte vara senare än i dag.")
CARE_END_DAY_BEFORE_BIRTH = N_("Datumet kan inte vara före patientens födelsedatum.")


class CareEndInvalid(Invalid):
    """The reason or the day is missing or wrong; `fields` says which."""

    code = "care_end_invalid"
    message = "Kontrollera de markerade fälten."


class CareAlreadyEnded(Conflict):
    code = "care_already_ended"
    message = "Patientens vård i regionen är redan registrerad som avslutad."


class MovedBackNotConfirmed(Invalid):
    code = "moved_back_not_confirmed"
    message = (
        "Patienten har flyttat från regionen. Bekräfta att patienten har flyttat "
        "tillbaka: vårdrelationen tar in patienten i vård i regionen igen."
    )


class CareNotEnded(Conflict):
    code = "care_not_ended"
    message = "Patientens vård i regionen är inte registrerad som avslutad."


class DeceasedNotResumed(Conflict):
    code = "patient_deceased"
    message = (
        "Patienten är registrerad som avliden och kan inte tas in i vård igen. "
        "Var registreringen ett misstag kan den ångras på patientsidan."
    )


class CareEnded(Conflict):
    """No new order or prescription for a patient whose care in the region
    ended (the staff's words); `PatientDeceased` and `MovedOut` say why."""

    code = "care_ended"
    message = "Patientens vård i regionen har avslutats."


class PatientDeceased(CareEnded):
    message = (
        "Patienten avled {day}. Inga nya beställningar eller förskrivningar kan göras."
    )


class PatientMovedOut(CareEnded):
    message = (
        "Patienten flyttade från regionen {day}. Inga nya beställningar eller "
        "förskrivningar kan göras här: den nya regionen tar över vården."
    )


class OwnCareMovedOut(CareEnded):
    """What a patient who moved out (or a child's guardian) is told in the
    portal and the API."""

    message = (
        "Vården har flyttat från regionen ({day}), så hjälpmedel kan inte "
        "beställas här längre. Kontakta diabetesmottagningen i den nya regionen."
    )
