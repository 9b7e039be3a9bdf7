"""`/official/dashboard` (the service indices as charts drawn on the server: inline SVG, nothing
fetched from elsewhere, so it works offline and prints) and `/official/dashboard.csv?chart=...`."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..access import OFFICIAL, current_principal
from ..models import db, utcnow
from ..platform.errors import BadRequest
from .figures import CHARTS, Figures, csv_rows, gather
from .scope import VIETNAM, parse_filter, visible_agencies

bp = Blueprint("stats_pages", __name__, url_prefix="/official")

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _figures(args) -> tuple[Figures, list, bool] | Response:
    principal = current_principal()
    if principal is None:
        return redirect(url_for("auth.login", role=OFFICIAL, next=request.full_path.rstrip("?")))
    agencies, province_view = visible_agencies(db.session, principal)
    now = utcnow()
    f = parse_filter(args, agencies, province_view, now.astimezone(VIETNAM).date())
    return gather(db.session, f, now), agencies, province_view


@bp.get("/dashboard")
def dashboard():
    args, errors = request.args, {}
    try:
        found = _figures(args)
    except BadRequest as refused:  # the page again with the default view and what was wrong, per field
        args, errors = {}, refused.details
        found = _figures(args)
    if isinstance(found, Response):
        return found
    figures, agencies, province_view = found
    procedures = sorted({(r.key, r.label) for r in figures.on_time_procedure}
                        | {(p.procedure_code, p.procedure_name) for p in figures.pending})
    return render_template("stats/dashboard.html", figures=figures, agencies=agencies, procedures=procedures,
                           province_view=province_view, args=request.args if not errors else {}, errors=errors,
                           bars=_bars(figures)), 400 if errors else 200


def _bars(figures: Figures) -> dict[str, list[tuple[str, float | None, str]]]:
    """Each bar chart's rows: label, length (0..1), the figure written beside the bar."""
    def on_time(rows):
        return [(r.label, r.rate, "–" if r.rate is None else f"{r.rate * 100:.1f} % ({r.on_time}/{r.on_time + r.late})")
                for r in rows]

    most = max([p.count for p in figures.pending] + [1])
    pending = [(f"{p.official or _('Agency queue')} · {p.procedure_name}", p.count / most,
                _("%(num)s, oldest %(date)s", num=p.count, date=p.oldest.astimezone(VIETNAM).strftime("%d/%m/%Y")))
               for p in figures.pending]
    distribution = figures.satisfaction.distribution
    top = max(max(distribution), 1)
    stars = [("★" * n, count / top, str(count)) for n, count in zip(range(5, 0, -1), reversed(distribution))]
    return {"on_time_agency": on_time(figures.on_time_agency), "on_time_procedure": on_time(figures.on_time_procedure),
            "pending": pending, "satisfaction": stars}


def _cell(value: object) -> object:
    """A text a spreadsheet would run as a formula (a citizen's comment) is kept as text."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


@bp.get("/dashboard.csv")
def dashboard_csv():
    chart = request.args.get("chart", "")
    if chart not in CHARTS:
        raise BadRequest(_("Choose a chart: %(charts)s.", charts=", ".join(CHARTS)), "invalid_chart")
    found = _figures(request.args)
    if isinstance(found, Response):
        return found
    out = io.StringIO()
    writer = csv.writer(out)
    for row in csv_rows(found[0], chart):
        writer.writerow([_cell(v) for v in row])
    f = found[0].filter
    name = f"{chart}_{f.start:%Y%m%d}-{f.end:%Y%m%d}.csv"
    # A byte-order mark: spreadsheet programs then read the Vietnamese text as UTF-8.
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
