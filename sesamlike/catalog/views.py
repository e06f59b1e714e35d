"""The assortment page: search articles with their systems, marks and prices."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required

from sesamlike.accounts.models import Role
from sesamlike.catalog import assortment, services
from sesamlike.catalog.forms import CatalogueSearchForm
from sesamlike.catalog.labels import category_labels, channel_labels
from sesamlike.common.i18n import _
from sesamlike.common.paging import page_number
from sesamlike.common.time import region_today

bp = Blueprint("catalog", __name__)

STAFF_ROLES = frozenset(
    {Role.PRESCRIBER, Role.DEPOT, Role.MANAGER, Role.REGION, Role.ADMIN}
)
MAX_QUERY_LENGTH = 100


@bp.route("/catalogue")
@login_required
def index():
    """Search the assortment by text, system and category."""
    if current_user.role not in STAFF_ROLES:
        abort(403)
    form = CatalogueSearchForm(formdata=request.args)
    systems = services.list_systems()
    categories = category_labels()
    form.system.choices = [("", _("Alla system"))] + [
        (str(s.id), s.name) for s in systems
    ]
    form.category.choices = [("", _("Alla kategorier"))] + list(categories.items())
    # A hand-edited query string with unknown values simply does not filter.
    system_id = None
    if form.system.data in {str(s.id) for s in systems}:
        system_id = int(form.system.data)
    category = form.category.data if form.category.data in categories else None
    text = (form.q.data or "")[:MAX_QUERY_LENGTH]
    today = region_today()
    result = services.search_articles(
        text=text,
        system_id=system_id,
        category=category,
        include_phased_out=form.phased_out.data,
        day=today,
        page=page_number(request.args.get("page")),
    )
    filters = {
        key: value for key, value in request.args.items() if key != "page" and value
    }
    return render_template(
        "catalog/index.html",
        form=form,
        result=result,
        # As the prescribing pages mark them: first in its category for one of
        # its systems (a pump of rank 2 is first choice in its own system).
        first_choice=assortment.first_choice_ids(services.prescribable_articles(today)),
        today=today,
        category_names=categories,
        channel_names=channel_labels(),
        page_url=lambda n: url_for("catalog.index", **filters, page=n),
        filtered=bool(text or system_id or category),
    )
