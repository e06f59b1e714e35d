"""The clerk confirms that a cancelled line's picked packs are back on the shelf."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from sesamlike.accounts.forms import EmptyForm
from sesamlike.common.errors import DomainError
from sesamlike.common.i18n import _
from sesamlike.common.urls import same_site_path
from sesamlike.fulfilment import put_back
from sesamlike.fulfilment.views import bp
from sesamlike.stock.views import depot_only, flash_error


@bp.route("/lines/<int:line_id>/put-back", methods=["POST"])
@depot_only
def put_back_done(line_id: int):
    """Say a cancelled line's picked packs are back in their lots."""
    if EmptyForm().validate_on_submit():
        try:
            line = put_back.put_back_done(current_user, line_id)
        except DomainError as error:
            flash_error(error)
        else:
            flash(
                _(
                    "{article}, beställning {order_id}: tillbakalagd i lager.",
                    article=line.article.name,
                    order_id=line.order_id,
                ),
                "success",
            )
    return redirect(
        same_site_path(request.form.get("next")) or url_for("fulfilment.packing")
    )
