from flask_wtf import FlaskForm
from wtforms import BooleanField, SearchField, SelectField


class CatalogueSearchForm(FlaskForm):
    """The GET search on the assortment page; no CSRF: it changes nothing."""

    class Meta:
        csrf = False

    q = SearchField("Sök artikel")
    system = SelectField("System", choices=[], validate_choice=False)
    category = SelectField("Kategori", choices=[], validate_choice=False)
    phased_out = BooleanField("Visa utgångna artiklar")
