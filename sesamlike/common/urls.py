"""Where a form may send the browser next: a path on this site, nothing else."""

from __future__ import annotations

from urllib.parse import urlsplit


def same_site_path(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None.

    Refused: absolute URLs, scheme-relative ones (//elsewhere), and the
    backslash and control-character spellings browsers read as such (/\\elsewhere).
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
