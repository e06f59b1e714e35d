"""The mail to a staff account's old address when an admin changes its e-mail.

Password links go to the account's address: whoever changes it could send the
next link to themselves. So the old address hears of the change (as is common
practice), through the outbox in the same commit as the change. The new
address is not named: the old mailbox may no longer be the user's.
"""

from __future__ import annotations

import secrets

from sesamlike.accounts.models import User
from sesamlike.common.i18n import N_, _, written_in
from sesamlike.common.mail import MailKind, queue_mail

SUBJECT = N_("Din e-postadress i Sesamlike har ändrats")
BODY = N_(
    "Hej!\n\n"
    "E-postadressen för ditt konto {username} i Sesamlike har ändrats "
    "av en administratör. Meddelanden från Sesamlike, som länkar för att "
    "välja nytt lösenord, går från och med nu till den nya adressen och inte "
    "hit.\n\n"
    "Har du inte väntat dig det här? Kontakta regionens IT-förvaltning "
    "genast.\n"
)


def tell_old_address(user: User, old_address: str) -> None:
    """Queue the notice of the change to `old_address` (not committed), in the
    language the user chose at their login (else Swedish)."""
    with written_in(user.locale):
        subject, body = _(SUBJECT), _(BODY, username=user.username)
    # Every change is told: the key is the change's own.
    key = f"email_changed:{user.id}:{secrets.token_hex(8)}"
    queue_mail(old_address, subject, body, MailKind.EMAIL_CHANGED, key)
