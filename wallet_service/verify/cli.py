"""`wallet-service verify FILE.pdf [--lang vi|en] [--json]`: the same report as the API, printed.
Exit status: 0 valid (TOTAL-PASSED), 1 not valid or not confirmed, 2 the file cannot be verified."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..models import db
from ..platform.errors import ApiError
from ..services import services
from .documents import verify_document


def _print_report(body: dict) -> None:
    click.echo(f"{body['indication']}{' / ' + body['sub_indication'] if body['sub_indication'] else ''}: {body['summary']}")
    click.echo(body["registry_message"])
    if body["registry"]:
        registry = body["registry"]
        click.echo(f"  {registry['title']} — {registry['agency']['name']} — {registry['dossier_code']} — {registry['status']}")
    for signature in body["signatures"] + body["document_timestamps"]:
        signer = signature["signer"] or {}
        click.echo(f"- {signature['field_name']} ({signature['kind']}): {signature['message']}")
        click.echo(f"    {signer.get('common_name')} / {signer.get('organization')} / serial {signer.get('serial_number')}")
        timestamp = signature["timestamp"]
        click.echo(f"    PAdES {signature['pades_level']}, revocation {signature['revocation']} "
                   f"({signature['revocation_source']}), "
                   f"timestamp {timestamp['time'] + ' ' + str(timestamp['authority']) if timestamp else '-'}")
        for finding in signature["findings"]:
            click.echo(f"    · {finding['text']}")


@click.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True, help="Language of the messages.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON report of POST /api/v1/verify.")
@with_appcontext
def verify_command(path: Path, lang: str, as_json: bool):
    """Verify a signed PDF: signatures, changes after signing, and the register (annulled or not)."""
    holder = services().verifier
    try:
        body = verify_document(current_app, db.session, path.read_bytes(), lang).to_dict(db.session, lang)
    except ApiError as exc:
        click.echo(json.dumps({"error": exc.code, "message": exc.message}, ensure_ascii=False) if as_json
                   else f"{exc.code}: {exc.message}", err=True)
        raise SystemExit(2) from None
    finally:
        holder.close()
    if as_json:
        click.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        _print_report(body)
    raise SystemExit(0 if body["indication"] == "TOTAL-PASSED" else 1)
