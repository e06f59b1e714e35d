"""The region's view of a patient: a stable key instead of name and personnummer.

The key is a keyed hash (HMAC-SHA-256) of the patient's row id under the
region's pseudonym key, so it stays the same from one report, export or year to
the next, and cannot be turned back into the patient without that key. The key
comes from PSEUDONYM_KEY, else from SECRET_KEY: changing it gives every patient
a new pseudonym.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

PREFIX = "P-"


def pseudonym(patient_id: int) -> str:
    """P- and 12 hexadecimal digits, the same for the same patient every time."""
    key = current_app.config.get("PSEUDONYM_KEY") or "pseudonym:" + str(
        current_app.config["SECRET_KEY"]
    )
    digest = hmac.new(key.encode(), str(patient_id).encode(), hashlib.sha256)
    return PREFIX + digest.hexdigest()[:12].upper()
