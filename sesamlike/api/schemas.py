"""Fields shared by the API's marshmallow schemas."""

from __future__ import annotations

from datetime import UTC, datetime

from marshmallow import fields


class Timestamp(fields.DateTime):
    """A stored UTC timestamp with its offset, as OpenAPI's `date-time` requires
    (SQLite hands timestamps back naive; PostgreSQL with their zone)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)
