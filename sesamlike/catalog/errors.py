"""Refusals about the catalogue, each with a stable code for pages and API."""

from sesamlike.common.errors import Invalid


class UnknownArticle(Invalid):
    code = "unknown_article"
    message = "Artikeln {article_no} finns inte i sortimentet."
