"""Refusals of the portal's own use cases, each with a stable code."""

from sesamlike.common.errors import Invalid


class UnknownReminderChannel(Invalid):
    code = "unknown_reminder_channel"
    message = "Välj e-post eller SMS."


class NoPhoneForSms(Invalid):
    code = "no_phone_for_sms"
    message = (
        "Det finns inget mobilnummer att skicka SMS till. Välj e-post, eller be "
        "mottagningen lägga in numret."
    )
