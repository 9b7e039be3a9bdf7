"""`wallet-service verify-qr (IMAGE | --text CODE) [--trust-list FILE] [--json]`: verify a result's
offline code with no network. Without `--trust-list`, the trust list is made from this installation's
database and keys; with it, the file must hold a trust list this service signed.
Exit status: 0 valid, 1 not valid (refused or annulled), 2 unreadable (no code, or no usable trust list)."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, gettext

from offline_qr import OfflineCodeError, OfflineVerdict, Status, TrustList, verify_code
from offline_qr.envelope import PREFIX

from ..models import db
from .messages import CLAIMS, verdict_text
from .trust_list import current_trust_list, service_public_keys

EXIT = {Status.VALID: 0, Status.ANNULLED: 1, Status.INVALID: 1, Status.UNREADABLE: 2}


def _code_in(image: Path) -> str:
    """The offline code among the picture's QR codes (a result's stamp also has its link QR code)."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(image) as picture:
            texts = [b.text for b in zxingcpp.read_barcodes(picture.convert("L"))]
    except (UnidentifiedImageError, OSError) as exc:
        raise OfflineCodeError("no_image", gettext("The file is not a picture: %(error)s", error=exc)) from None
    if not texts:
        raise OfflineCodeError("no_qr", gettext("No QR code was found in the picture."))
    return next((t for t in texts if t.startswith(PREFIX)), texts[0])


def _trust_list(path: Path | None) -> TrustList:
    if path is None:
        return current_trust_list(current_app, db.session)
    try:
        token = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise OfflineCodeError("bad_trust_list", gettext("The trust list file cannot be read: %(error)s", error=exc)) from None
    return TrustList.read(token, service_public_keys(current_app))


def _print(verdict: OfflineVerdict) -> None:
    click.echo(f"{verdict.status.value}: {verdict_text(verdict.code)}")
    click.echo(gettext("Trust list as of %(date)s", date=verdict.trust_list_issued_at.strftime("%d/%m/%Y")))
    if verdict.trust_list_stale:
        click.echo(gettext("The trust list is more than 7 days old: results annulled since then are not known. "
                           "Refresh it when you have network."))
    if verdict.claims is not None:
        if verdict.agency_name:
            click.echo(f"  {gettext('Agency')}: {verdict.agency_name}")
        for name, value in verdict.claims.to_dict().items():
            if value is not None:
                click.echo(f"  {CLAIMS[name]}: {value}")


@click.command("verify-qr")
@click.argument("image", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--text", "text", help="The code itself (VN1:...) instead of a picture.")
@click.option("--trust-list", "trust_list", type=click.Path(dir_okay=False, path_type=Path),
              help="A trust list saved from /.well-known/result-trust-list (default: this installation's own).")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, help="Language of the messages.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@with_appcontext
def verify_qr_command(image: Path | None, text: str | None, trust_list: Path | None, lang: str, as_json: bool):
    """Verify the offline code of a printed result (a photo or scan of it, or its text), with no network."""
    if (image is None) == (text is None):
        raise click.UsageError("Give either IMAGE or --text.")
    with force_locale(lang):
        try:
            verdict = verify_code(text if text is not None else _code_in(image), _trust_list(trust_list))
        except OfflineCodeError as exc:
            message = verdict_text(exc.code) if exc.code == "bad_trust_list" else exc.message
            click.echo(json.dumps({"status": "unreadable", "code": exc.code, "message": message}, ensure_ascii=False)
                       if as_json else f"{exc.code}: {message}", err=not as_json)
            raise SystemExit(2) from None
        if as_json:
            click.echo(json.dumps({**verdict.to_dict(), "message": verdict_text(verdict.code)}, ensure_ascii=False, indent=2))
        else:
            _print(verdict)
    raise SystemExit(EXIT[verdict.status])
