"""The certifying official's page of one certified copy: the scan beside the fields read out of it, in
a form to confirm or correct them; confirming numbers the copy and adds its statement, and the official
then signs it from the result's page like any result. On the officials' blueprint, so its login
redirect, officials-only check and error pages apply."""
from __future__ import annotations

from flask import redirect, render_template, request, url_for

from ..access import current_principal
from ..copies import certification
from ..copies.kinds import CERTIFIER_ROLE
from ..copies.catalogue import DATE_FIELDS, DOCUMENT_TYPES, FIELD_LABELS, FIELDS
from ..models import db
from ..platform.errors import Unprocessable
from ..services import services
from .views import bp


def _shown(values: dict | None) -> dict[str, str]:
    """Stored values as the form shows them: dates dd/mm/yyyy."""
    shown = {}
    for name in FIELDS:
        value = (values or {}).get(name) or ""
        if name in DATE_FIELDS and len(value) == 10 and value[4] == "-":
            value = f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
        shown[name] = value
    return shown


@bp.route("/copies/<result_id>", methods=["GET", "POST"])
def copy(result_id: str):
    principal = current_principal()
    record = certification.find_copy(db.session, principal, result_id)
    errors: dict[str, str] = {}
    values = _shown(record.confirmed or record.extracted)
    status = 200
    if request.method == "POST":  # the blueprint's CSRF check ran before this
        values = {name: request.form.get(name, "") for name in FIELDS}
        try:
            confirmed = certification.parse_fields(request.form)
            certification.confirm(db.session, services().documents, principal, result_id, confirmed)
            return redirect(url_for("official.result", result_id=result_id))
        except Unprocessable as exc:
            db.session.rollback()
            errors, status = dict(exc.details) or {"holder_name": exc.message}, 422
    return render_template(
        "official/copy.html", record=record, result=record.result, values=values, errors=errors,
        fields=[(name, FIELD_LABELS[name], name in DATE_FIELDS) for name in FIELDS],
        document_type=DOCUMENT_TYPES[record.document_type],
        can_confirm=CERTIFIER_ROLE in principal.roles and record.result.status in certification.CONFIRMABLE,
    ), status
