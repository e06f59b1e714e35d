"""Counting the calls of functions a test watches, the functions still running."""

from __future__ import annotations


def count_calls(monkeypatch, *watched: tuple[object, str]) -> dict[str, int]:
    """Replace each (module, name) by a wrapper that counts its calls under
    `name` and calls the real function; the counts, all 0 to begin with."""
    counted = {name: 0 for _module, name in watched}
    for module, name in watched:
        real = getattr(module, name)

        def wrapper(*args, _real=real, _name=name, **kwargs):
            counted[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)
    return counted
