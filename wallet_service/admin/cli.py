"""`wallet-service agencies ...` and `wallet-service officials ...`: what an administrator types to
register the agencies and officials the service serves (no page, no database access by hand)."""
from __future__ import annotations

import contextlib
import getpass

import click
from flask.cli import with_appcontext

from ..models import db
from ..services import services
from . import agencies, clients, images, officials
from .agencies import AgencyView
from .errors import AdminError
from .officials import OfficialView


def actor() -> str:
    """Who ran the command, for the audit trail: the operating-system account."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "cli"


@contextlib.contextmanager
def one_line_errors():
    try:
        yield
    except AdminError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None


def _agency_line(a: AgencyView) -> str:
    return (f"{a.code}  province {a.province_code} ({a.province_name})  commune {a.commune_code or '-'}  "
            f"parent {a.parent_code or '-'}  {a.name}")


def _official_line(o: OfficialView) -> str:
    return (f"{o.username or '-'}  {o.agency_code}  roles {','.join(o.roles) or '-'}  "
            f"key {o.key_reference or '-'}  {'logged in' if o.logged_in else 'not yet logged in'}  {o.full_name}")


@click.group("agencies")
def agencies_group():
    """Agencies (QCVN 102:2016 codes) that results, case systems and officials belong to."""


@agencies_group.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Full name, with diacritics.")
@click.option("--parent", help="Code of the agency it belongs to (registered first).")
@click.option("--province", help="2-digit province code (2025 map); default: the commune's or the parent's.")
@click.option("--commune-code", "commune", help="5-digit commune code (2025 map) of a commune-level agency.")
@with_appcontext
def agencies_add(code, name, parent, province, commune):
    """Register an agency, e.g. `agencies add 000.00.15.H40 --name "..." --commune-code 06688`."""
    with one_line_errors():
        added = agencies.add_agency(db.session, actor(), code, name, parent=parent, province=province, commune=commune)
    click.echo(f"agency added: {_agency_line(added)}")


@agencies_group.command("list")
@with_appcontext
def agencies_list():
    """Every registered agency, one line each."""
    for agency in agencies.list_agencies(db.session):
        click.echo(_agency_line(agency))


@agencies_group.command("update")
@click.argument("code")
@click.option("--name", help="New full name.")
@click.option("--parent", help="New parent agency's code.")
@click.option("--no-parent", is_flag=True, help="It belongs to no other agency.")
@click.option("--province", help="New 2-digit province code.")
@click.option("--commune-code", "commune", help="New 5-digit commune code.")
@click.option("--no-commune", is_flag=True, help="It is not a commune-level agency.")
@with_appcontext
def agencies_update(code, name, parent, no_parent, province, commune, no_commune):
    """Correct an agency's name, parent, province or commune (its code never changes)."""
    if (parent and no_parent) or (commune and no_commune):
        raise click.UsageError("give --parent or --no-parent, --commune-code or --no-commune, not both")
    changes = {key: value for key, value in (("name", name), ("parent", parent), ("province", province),
                                             ("commune", commune)) if value is not None}
    changes.update({key: None for key, flag in (("parent", no_parent), ("commune", no_commune)) if flag})
    with one_line_errors():
        updated = agencies.update_agency(db.session, actor(), code, **changes)
    click.echo(f"agency updated: {_agency_line(updated)}")


@agencies_group.command("seal-image")
@click.argument("code")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def agencies_seal_image(code, file):
    """Set the agency's red seal image (PNG with transparency, at most 1 MB), drawn by its signature over
    the left third of the official's signature image."""
    with one_line_errors():
        digest = images.set_seal_image(db.session, services().documents, actor(), code, file.read())
    click.echo(f"seal image set for {code}: sha256 {digest}")


@click.group("officials")
def officials_group():
    """Officials: registered here before their first login, matched by their provider's login name."""


@officials_group.command("add")
@click.argument("username")
@click.option("--name", required=True, help="Full name, with diacritics.")
@click.option("--agency", "agency_code", required=True, help="Their agency's code (registered first).")
@click.option("--roles", default="", help="Comma-separated: signer, annul, leader, province (default: none).")
@click.option("--key-reference", help="Their key's name in KEYS_CONFIG [officials] (default: the username).")
@click.option("--issuer", help="Their identity provider's issuer (default: the configured officials' provider).")
@with_appcontext
def officials_add(username, name, agency_code, roles, key_reference, issuer):
    """Register an official by the login name (`preferred_username`) their identity provider sends."""
    with one_line_errors():
        added = officials.add_official(db.session, actor(), issuer or services().official_issuer, username, name,
                                       agency_code, officials.parse_roles(roles), key_reference)
    click.echo(f"official added at {added.issuer}: {_official_line(added)}")


@officials_group.command("list")
@click.option("--agency", "agency_code", help="Only this agency's officials.")
@with_appcontext
def officials_list(agency_code):
    """Officials, one line each: username, agency, roles, key reference, whether they have logged in."""
    with one_line_errors():
        found = officials.list_officials(db.session, agency_code)
    for official in found:
        click.echo(_official_line(official))


@officials_group.command("roles")
@click.argument("username")
@click.option("--set", "roles", required=True, help='The roles from now on, comma-separated ("" for none).')
@with_appcontext
def officials_roles(username, roles):
    """Replace an official's roles (an identity provider that sends a roles claim overrides them at login)."""
    with one_line_errors():
        changed = officials.set_roles(db.session, actor(), username, officials.parse_roles(roles))
    click.echo(f"roles set: {_official_line(changed)}")


@officials_group.command("signature-image")
@click.argument("username")
@click.argument("file", type=click.File("rb"))
@with_appcontext
def officials_signature_image(username, file):
    """Set the official's signature image (PNG with transparency, at most 1 MB), drawn at the signing block."""
    with one_line_errors():
        digest = images.set_signature_image(db.session, services().documents, actor(), username, file.read())
    click.echo(f"signature image set for {username}: sha256 {digest}")


@click.group("keys")
def client_keys_group():
    """A client's public keys: add the new one, let the client switch, retire the old one."""


@client_keys_group.command("add")
@click.argument("name")
@click.option("--public-key", type=click.File("rb"), required=True, help="The client's new PEM public key.")
@with_appcontext
def client_keys_add(name, public_key):
    """Add a key to client NAME; its old key stays valid until retired (at most two active)."""
    with one_line_errors():
        added = clients.add_key(db.session, actor(), name, clients.read_public_key(public_key.read()))
    click.echo(f"key added: {added.client}  kid {added.kid}  (retire the old one once the client uses this one)")


@client_keys_group.command("list")
@click.argument("name")
@with_appcontext
def client_keys_list(name):
    """Client NAME's keys, one line each: kid, when added, active or when retired (UTC)."""
    with one_line_errors():
        found = clients.list_keys(db.session, name)
    for key in found:
        click.echo(f"{key.kid}  added {key.added_at}  {'retired ' + key.retired_at if key.retired_at else 'active'}")


@client_keys_group.command("retire")
@click.argument("name")
@click.option("--kid", required=True, help="The key's kid, as `clients keys list` prints it.")
@with_appcontext
def client_keys_retire(name, kid):
    """Stop accepting assertions signed with key --kid of client NAME (never its last active key).
    An option, not an argument: a kid (base64url) may begin with '-'."""
    with one_line_errors():
        retired = clients.retire_key(db.session, actor(), name, kid)
    click.echo(f"key retired: {retired.client}  kid {retired.kid}")


def register(main: click.Group) -> None:
    main.add_command(agencies_group)
    main.add_command(officials_group)
    main.get_command(None, "clients").add_command(client_keys_group)
