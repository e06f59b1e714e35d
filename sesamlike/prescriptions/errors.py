"""Refusals of prescribing and of withdrawals against a prescription (entitlement),
each with a stable code for pages and API."""

from sesamlike.common.errors import Conflict, Forbidden, Invalid
from sesamlike.common.i18n import N_, Plural


class TimeLocked(Conflict):
    """The prescription's time lock has not opened yet; `opens_on` says when."""

    code = "time_locked"
    message = "Nästa uttag är möjligt från {opens_on}."


class NotStartedYet(TimeLocked):
    """A prescription that starts later (a renewal waiting for the old one to
    end, or one written ahead): the same refusal as a time lock, said as what
    it is. `renewal`: it renews an earlier prescription."""

    message = "Förskrivningen börjar gälla {opens_on}."


class LockOutlastsPrescription(TimeLocked):
    """The time lock opens after the prescription ends: no withdrawal is left
    to make on it (code `time_locked`, `opens_on` as the contract gives it)."""

    message = (
        "Nästa uttag skulle bli möjligt {opens_on}, men förskrivningen gäller "
        "bara till och med {valid_to}. En ny förskrivning behövs."
    )


class EntitlementExceeded(Conflict):
    code = "entitlement_exceeded"
    message = "Förskrivningen räcker inte: {detail}"


class PrescriptionUsedUp(Conflict):
    code = "prescription_used_up"
    message = "Alla uttag på förskrivningen är gjorda. Be förskrivaren om en förnyelse."


class PrescriptionNotActive(Conflict):
    code = "prescription_not_active"
    message = "Förskrivningen är inte aktiv ({status})."


class FirstPrescriptionRightRequired(Forbidden):
    """The patient's first pump, or the start of CGM (reader, transmitter or
    sensors), by a prescriber without the first-time right."""

    code = "first_prescription_right_required"
    message = (
        "Första förskrivningen av pump eller CGM (avläsare, sändare eller sensorer) "
        "kräver förskrivningsrätt för nyförskrivning (läkare eller "
        "diabetessjuksköterska med utbildning)."
    )


class IncompatibleSystem(Invalid):
    """A pump consumable that fits none of the patient's pumps, without a reason."""

    code = "incompatible_system"
    message = (
        "{article} passar inte patientens pump ({pumps}). Välj en artikel till "
        "patientens pumpsystem, eller ange orsakskod om den ändå ska förskrivas."
    )


class NoPumpForConsumable(IncompatibleSystem):
    """A pump consumable for a patient with no pump at all."""

    message = (
        "Patienten har ingen pump som {article} passar till. Förskriv pumpen "
        "först, till exempel som ett helt system, eller ange orsakskod om "
        "artikeln ändå ska förskrivas."
    )


class DeviceSingleWithdrawal(Invalid):
    """A lent device (pump, CGM reader) is one withdrawal of one unit."""

    code = "device_single_withdrawal"
    message = (
        "{article} lånas ut till patienten och förskrivs som 1 uttag av 1 "
        "förpackning. Ändra förpackningar per uttag och antal uttag till 1."
    )


class KitWithoutLines(Invalid):
    """A kit with every line left out (code `invalid`)."""

    message = "Välj minst en rad att förskriva."


class KitLinesInvalid(Invalid):
    """A kit line naming an article outside the system, or one twice."""

    message = "Satsen för {system} sparades inte. Rätta de markerade raderna."


class UnknownSystem(Invalid):
    """A kit asked for a system the catalogue does not have (or has nothing of)."""

    code = "unknown_system"
    message = "Systemet {system} finns inte i sortimentet. Välj ett av: {known}."


class ReasonRequired(Invalid):
    code = "reason_required"
    message = "Ange orsakskod och motivering: {detail}"


class ArticleNotPrescribable(Invalid):
    code = "article_not_prescribable"
    message = (
        "Artikeln {article_no} är utgången eller utanför avtal och kan inte förskrivas."
    )


class PrescriptionAlreadyCancelled(Conflict):
    code = "prescription_already_cancelled"
    message = "Förskrivningen är redan makulerad. Inget har ändrats."


class CancelledNotRenewable(Conflict):
    code = "prescription_cancelled"
    message = (
        "En makulerad förskrivning kan inte förnyas. Gör en ny förskrivning i stället."
    )


class PrescriptionAlreadyRenewed(Conflict):
    code = "prescription_already_renewed"
    message = (
        "Förskrivningen är redan förnyad. Förnya den nya förskrivningen, eller "
        "makulera den först."
    )


class PrescriptionExpired(PrescriptionNotActive):
    message = (
        "Förskrivningen av {article} gick ut {valid_to}. "
        "Be förskrivaren om en ny förskrivning."
    )


class PrescriptionCancelled(PrescriptionNotActive):
    message = "Förskrivningen av {article} är makulerad och kan inte användas."


class TooManyPacks(Invalid):
    code = "too_many_packs"
    message = Plural(
        "Högst {max_packs} förpackning per uttag av {article}. Minska antalet.",
        "Högst {max_packs} förpackningar per uttag av {article}. Minska antalet.",
        count="max_packs",
    )


class PrescriptionInvalid(Invalid):
    """Bad terms of a prescription; `fields` says which (code `invalid`)."""

    message = "Förskrivningen sparades inte. Rätta de markerade uppgifterna."


class PrescriberOnly(Forbidden):
    """Another role's refusal (code `forbidden`), with what the role lacks."""

    message = "Bara förskrivare kan förskriva, förnya och makulera förskrivningar."


class NotProcuredReasonRequired(ReasonRequired):
    message = (
        "{article} ({article_no}) är inte upphandlad. Välj en upphandlad artikel, "
        "eller ange orsakskod och motivering till avvikelsen."
    )


class NotFirstChoiceReasonRequired(ReasonRequired):
    message = (
        "{article} ({article_no}) är inte förstahandsval i sin kategori. Välj "
        "förstahandsvalet, eller ange orsakskod och motivering till avvikelsen."
    )


class ArticlePhasedOut(ArticleNotPrescribable):
    message = (
        "{article} ({article_no}) är utgången sedan {valid_to} och kan inte "
        "förskrivas. Välj en artikel i gällande avtal."
    )


class ArticleNotYetInContract(ArticleNotPrescribable):
    message = (
        "{article} ({article_no}) ingår i avtalet först från {valid_from} och kan inte "
        "förskrivas än. Välj en annan artikel."
    )


class DuplicateToConfirm(Invalid):
    """The patient already has a prescription of the article in force over the
    new one's start: the patient could order from both, each with its own time
    lock. The prescriber renews the one in force instead, or confirms that both
    are to apply."""

    code = "duplicate_to_confirm"
    message = (
        "Patienten har redan en aktuell förskrivning av {article}, giltig till "
        "{valid_to}. Förnya den i stället, eller bekräfta att båda ska gälla: "
        "patienten kan då beställa på båda."
    )


class QuantityToConfirm(Invalid):
    """More than 1.5 times the article's expected use per withdrawal (the line
    above which the follow-up lists a patient's use for review): the
    prescriber confirms the quantity, or lowers it. A typo of 50 for 5 would
    otherwise let the patient order ten times the need."""

    code = "quantity_to_confirm"
    message = Plural(
        "{article}: {packs} per uttag räcker till mer än 1,5 gånger förväntad "
        "användning under uttagets period, som är ungefär {expected} förpackning. "
        "Minska mängden, eller bekräfta att den stämmer.",
        "{article}: {packs} per uttag räcker till mer än 1,5 gånger förväntad "
        "användning under uttagets period, som är ungefär {expected} förpackningar. "
        "Minska mängden, eller bekräfta att den stämmer.",
        count="expected",
    )
    # The renew page shows the old terms and cannot change them.
    on_renewal = Plural(
        "{article}: {packs} per uttag räcker till mer än 1,5 gånger förväntad "
        "användning under uttagets period, som är ungefär {expected} förpackning. "
        "Bekräfta att den stämmer, eller skriv en ny förskrivning med en mindre "
        "mängd.",
        "{article}: {packs} per uttag räcker till mer än 1,5 gånger förväntad "
        "användning under uttagets period, som är ungefär {expected} förpackningar. "
        "Bekräfta att den stämmer, eller skriv en ny förskrivning med en mindre "
        "mängd.",
        count="expected",
    )


class TotalQuantityToConfirm(QuantityToConfirm):
    """All withdrawals together above 1.5 times the expected use over the
    validity: 40 withdrawals of a year's need each are a typo or a stockpile."""

    message = Plural(
        "{article}: {withdrawals} uttag med {packs} per uttag räcker till mer än "
        "1,5 gånger förväntad användning under giltighetstiden, som är ungefär "
        "{expected} förpackning. Minska mängden, eller bekräfta att den stämmer.",
        "{article}: {withdrawals} uttag med {packs} per uttag räcker till mer än "
        "1,5 gånger förväntad användning under giltighetstiden, som är ungefär "
        "{expected} förpackningar. Minska mängden, eller bekräfta att den stämmer.",
        count="expected",
    )
    on_renewal = Plural(
        "{article}: {withdrawals} uttag med {packs} per uttag räcker till mer än "
        "1,5 gånger förväntad användning under giltighetstiden, som är ungefär "
        "{expected} förpackning. Bekräfta att den stämmer, eller skriv en ny "
        "förskrivning med en mindre mängd.",
        "{article}: {withdrawals} uttag med {packs} per uttag räcker till mer än "
        "1,5 gånger förväntad användning under giltighetstiden, som är ungefär "
        "{expected} förpackningar. Bekräfta att den stämmer, eller skriv en ny "
        "förskrivning med en mindre mängd.",
        count="expected",
    )


class TimeLockToConfirm(QuantityToConfirm):
    """A time lock below half the period: the withdrawals can be taken back to
    back, more than twice as fast as they are to last."""

    message = (
        "{article}: med en spärrtid kortare än halva perioden kan uttagen tas mer "
        "än dubbelt så tätt som de ska räcka. Förläng spärrtiden, eller bekräfta att "
        "den stämmer."
    )
    on_renewal = N_(
        "{article}: med en spärrtid kortare än halva perioden kan uttagen tas mer "
        "än dubbelt så tätt som de ska räcka. Bekräfta att den stämmer, eller skriv "
        "en ny förskrivning med en längre spärrtid."
    )


class StartToConfirm(Invalid):
    """A start more than 90 days ahead, on a page: the prescription counts among
    the patient's current ones and blocks a new one of the article, but cannot
    be ordered on until it starts. A typo of a year is easy; the prescriber
    confirms the day, or mends it."""

    code = "start_to_confirm"
    message = Plural(
        "Förskrivningen börjar gälla först {valid_from}, om {days} dag: patienten "
        "kan inte beställa på den förrän dess. Ändra Giltig från, eller bekräfta "
        "att datumet stämmer.",
        "Förskrivningen börjar gälla först {valid_from}, om {days} dagar: patienten "
        "kan inte beställa på den förrän dess. Ändra Giltig från, eller bekräfta "
        "att datumet stämmer.",
        count="days",
    )


class TakeOverNotActive(PrescriptionNotActive):
    message = (
        "Bara en förskrivning som har börjat gälla och har uttag kvar kan tas över. "
        "Gör en ny förskrivning i stället."
    )


class TakeOverOfRenewed(PrescriptionAlreadyRenewed):
    message = (
        "Förskrivningen är redan förnyad. Ta över den nya förskrivningen när den "
        "börjar gälla, eller makulera den först."
    )


class AlreadyOwnClinics(Conflict):
    code = "prescription_already_own_clinic"
    message = "Förskrivningen är redan utfärdad av {clinic}, en av dina vårdenheter."
