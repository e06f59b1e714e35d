from wtforms import BooleanField, SearchField, SelectField

from sesamlike.common.forms import PageForm


class CatalogueSearchForm(PageForm):
    """The GET search on the assortment page; no CSRF: it changes nothing."""

    class Meta:
        csrf = False

    q = SearchField("Sök artikel")
    system = SelectField("System", choices=[], validate_choice=False)
    category = SelectField("Kategori", choices=[], validate_choice=False)
    phased_out = BooleanField("Visa utgångna artiklar")
