"""A citizen's rating of a delivered result: 1 to 5 stars and an optional comment, one per result,
changeable for `CHANGE_DAYS` days after it was first given. Only the result's own citizen rates it
(anyone else gets the same 404 as for a result that does not exist); the agency's leaders see the
ratings on their dashboard, other citizens never."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..access import Principal
from ..models import Rating, ResultStatus
from ..platform.errors import Conflict, NotFound, Unprocessable
from ..results import audit
from ..results.formats import FormatError, check_text
from .results import citizen_result

CHANGE_DAYS = 7
MAX_COMMENT = 1000


@dataclass(frozen=True)
class RatingView:
    stars: int
    comment: str | None
    rated_at: dt.datetime
    updated_at: dt.datetime
    changeable_until: dt.datetime


def view(rating: Rating) -> RatingView:
    return RatingView(rating.stars, rating.comment, rating.created_at, rating.updated_at,
                      rating.created_at + dt.timedelta(days=CHANGE_DAYS))


def _stars(raw: object) -> int:
    text = raw.strip() if isinstance(raw, str) else raw
    if isinstance(text, str) and text.isascii() and text.isdigit():
        text = int(text)
    if isinstance(text, bool) or not isinstance(text, int) or not 1 <= text <= 5:
        raise Unprocessable(_("Choose from 1 to 5 stars."), "invalid_stars", details={"stars": _("Choose from 1 to 5 stars.")})
    return text


def _comment(raw: object) -> str | None:
    if raw is None:
        return None
    message = _("A comment is text of at most %(num)s characters.", num=MAX_COMMENT)
    if not isinstance(raw, str) or len(raw) > MAX_COMMENT:
        raise Unprocessable(message, "invalid_comment", details={"comment": message})
    try:
        check_text(raw, "comment")
    except FormatError:
        raise Unprocessable(message, "invalid_comment", details={"comment": message}) from None
    return raw.strip() or None


def existing_rating(session: Session, result_id: str) -> Rating | None:
    return session.scalar(select(Rating).where(Rating.result_id == result_id))


def rate(session: Session, principal: Principal, result_id: str, stars: object, comment: object,
         now: dt.datetime) -> tuple[RatingView, bool]:
    """Record or change the rating; `(rating, created)`. Nothing is written when anything is refused."""
    result = citizen_result(session, principal, result_id)
    if result is None:
        raise NotFound(_("There is no such result among yours."), "result_not_found")
    if result.status != ResultStatus.DELIVERED:
        raise Conflict(_("Only a result that was delivered to you can be rated."), "not_delivered")
    stars, comment = _stars(stars), _comment(comment)
    rating = existing_rating(session, result.id)
    created = rating is None
    if created:
        rating = Rating(result_id=result.id, citizen_id=principal.record_id, agency_id=result.agency_id,
                        created_at=now)
        session.add(rating)
    elif now > rating.created_at + dt.timedelta(days=CHANGE_DAYS):
        raise Conflict(_("A rating can be changed for %(num)s days after it was given; this one is final.",
                         num=CHANGE_DAYS), "rating_final")
    rating.stars, rating.comment, rating.updated_at = stars, comment, now
    session.flush()
    audit.record(session, principal.actor, "result.rated" if created else "result.rating_changed", result.id,
                 stars=stars)  # the comment stays out of the audit trail: it may hold personal details
    session.commit()
    return view(rating), created
