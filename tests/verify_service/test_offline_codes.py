"""A printed result verifies with no network: the result is signed by the real batch pipeline, its last
page rendered by pdftoppm at 150 dpi as a scan would be, the offline code read from the picture by
zxing-cpp, and checked by `wallet-service verify-qr` in a process without network, against the trust
list served at /.well-known/result-trust-list (a JWS checked with the key of /.well-known/jwt-vc-issuer)."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import subprocess
import sys
from io import BytesIO
from pathlib import Path

import jwt
import segno
import zxingcpp
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from tests.verify_service.conftest import AGENCY1, WARD, annul, sign, signed_pdf
from wallet_service.cli import main
from wallet_service.services import services
from wallet_service.verify.access import qr_url
from wallet_service.dev.demo import demo_code

ROOT = Path(__file__).resolve().parents[2]


def last_page_png(pdf: bytes, folder: Path) -> Path:
    pages = int(PdfFileReader(BytesIO(pdf)).root["/Pages"]["/Count"])
    (folder / "ket-qua.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-png", "-f", str(pages), "-l", str(pages), "-singlefile",
                    str(folder / "ket-qua.pdf"), str(folder / "trang-cuoi")], check=True, timeout=60)
    return folder / "trang-cuoi.png"


def qr_texts(png: Path) -> list[str]:
    with Image.open(png) as picture:
        return [b.text for b in zxingcpp.read_barcodes(picture)]


def trust_list_file(app, folder: Path, name: str = "trust-list.jwt") -> Path:
    response = app.test_client().get("/.well-known/result-trust-list")
    assert response.status_code == 200 and response.mimetype == "application/jwt"
    path = folder / name
    path.write_bytes(response.data)
    return path


def offline_cli(app, *args: str) -> subprocess.CompletedProcess:
    """`wallet-service verify-qr ...` in a process with no network at all (its own empty network namespace)."""
    settings = services(app).settings
    env = {"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(settings.instance_path), "DATABASE_URL": settings.database_url}
    command = ["unshare", "--net", sys.executable, "-c", "from wallet_service.cli import main; main()", "verify-qr", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_printed_result_verifies_offline_with_the_cli(app, demo_results, tmp_path):
    result = sign(app, [demo_results[demo_code(WARD, 1)]])[0]
    png = last_page_png(signed_pdf(app, result), tmp_path)
    texts = qr_texts(png)
    assert qr_url(services(app).settings, result.id) in texts  # the link QR code, with its access key
    (code,) = [t for t in texts if t.startswith("VN1:")]
    assert segno.make_qr(code, error="m", boost_error=False).version <= 15

    listed = trust_list_file(app, tmp_path)
    checked = offline_cli(app, str(png), "--trust-list", str(listed), "--json")
    assert checked.returncode == 0, checked.stderr + checked.stdout
    verdict = json.loads(checked.stdout)
    assert verdict["status"] == "valid" and verdict["agency_name"] == AGENCY1
    claims = verdict["claims"]
    assert (claims["result_id"], claims["dossier_code"], claims["agency_code"]) == (result.id, result.dossier_code, WARD)
    issued_on = result.issued_on or result.signed_at.astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    assert claims["issued_on"] == issued_on.isoformat()
    # The development agencies' keys are RSA: the code holds the identifying claims only (see README).
    assert claims["holder_name"] is None

    runner = app.test_cli_runner()
    in_vietnamese = runner.invoke(main, ["verify-qr", "--text", code, "--trust-list", str(listed)])
    assert in_vietnamese.exit_code == 0 and in_vietnamese.output.startswith("valid: Hợp lệ")
    assert "Danh sách tin cậy ngày" in in_vietnamese.output

    refusals(app, code, tmp_path)

    # Annulled: the list saved before does not know (hence its date on every verdict); a refreshed one does.
    annul(app, result)
    still_listed = runner.invoke(main, ["verify-qr", "--text", code, "--trust-list", str(listed)])
    assert still_listed.exit_code == 0
    refreshed = offline_cli(app, str(png), "--trust-list", str(trust_list_file(app, tmp_path, "after.jwt")), "--json")
    assert refreshed.returncode == 1 and json.loads(refreshed.stdout)["status"] == "annulled", refreshed.stdout
    own = runner.invoke(main, ["verify-qr", str(png), "--lang", "en"])  # this installation's list
    assert own.exit_code == 1 and own.output.startswith("annulled: Annulled")


def refusals(app, code: str, tmp_path: Path) -> None:
    """Damaged codes, pictures without a code and forged trust lists: exit 2 (unreadable), with the reason."""
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(main, ["verify-qr", *args, "--lang", "en"])

    assert run("--text", "HC1:" + code[4:]).exit_code == 2
    cut = run("--text", code[: 4 + 3 * 100])  # on a Base45 group boundary: the compressed data ends early
    assert cut.exit_code == 2 and "cut short" in cut.output, cut.output
    blank = tmp_path / "trang-trang.png"
    Image.new("L", (400, 400), 255).save(blank)
    nothing = run(str(blank))
    assert nothing.exit_code == 2 and "No QR code was found" in nothing.output
    forged = tmp_path / "forged.jwt"
    header, payload, signature = trust_list_file(app, tmp_path).read_text().split(".")
    forged.write_text(".".join([header, payload[:-2] + "xx", signature]))
    refused = run("--text", code, "--trust-list", str(forged))
    assert refused.exit_code == 2 and "not one this service signed" in refused.output
    assert run(str(blank), "--text", code).exit_code == 2  # one or the other


def test_trust_list_is_signed_by_the_service_and_lists_the_agency_seals(app, signed_result):
    client = app.test_client()
    response = client.get("/.well-known/result-trust-list")
    assert "max-age=300" in response.headers["Cache-Control"]
    token = response.get_data(as_text=True)
    issuer = client.get("/.well-known/jwt-vc-issuer").get_json()
    (jwk,) = [k for k in issuer["jwks"]["keys"] if k["kid"] == jwt.get_unverified_header(token)["kid"]]
    body = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["ES256"])
    seal = next(s for s in signed_result.signatures if s.role == "agency")
    agency = next(a for a in body["agencies"] if a["agency_code"] == WARD)
    assert hashlib.sha256(base64.b64decode(agency["x5c"][0])).hexdigest() == seal.certificate_sha256
    assert body["annulled"] == [] and body["iat"] > 0
