"""`wallet-service verify FILE.pdf [--lang vi|en] [--json]`: the API's report, printed, with the
app's own verifier (trusting the root its init step put in instance/trust-roots); exit 0 only
for a valid document."""
from __future__ import annotations

import json

from tests.verify_service.conftest import annul, signed_pdf, with_flipped_byte
from wallet_service.cli import main
from wallet_service.services import services
from wallet_service.verify.trust import make_verifier_holder


def test_verify_command(app, signed_result, tmp_path):
    services(app).verifier = make_verifier_holder(app)  # what the command really uses
    runner = app.test_cli_runner()
    path = tmp_path / "ket-qua.pdf"
    path.write_bytes(signed_pdf(app, signed_result))

    vi = runner.invoke(main, ["verify", str(path)])
    assert vi.exit_code == 0, vi.output
    assert vi.output.startswith("TOTAL-PASSED: Tài liệu hợp lệ")
    assert "Đây đúng là văn bản do Trung tâm Phục vụ hành chính công phường Hạ Long cấp" in vi.output
    assert "Nguyễn Văn An" in vi.output and "B-LTA" in vi.output

    as_json = runner.invoke(main, ["verify", str(path), "--json", "--lang", "en"])
    assert as_json.exit_code == 0
    report = json.loads(as_json.output)
    assert report["registry"]["result_id"] == signed_result.id and report["message"] == "Valid"

    tampered = tmp_path / "sua.pdf"
    tampered.write_bytes(with_flipped_byte(path.read_bytes()))
    failed = runner.invoke(main, ["verify", str(tampered), "--lang", "en"])
    assert failed.exit_code == 1 and failed.output.startswith("TOTAL-FAILED / HASH_FAILURE")

    annul(app, signed_result)
    annulled = runner.invoke(main, ["verify", str(path), "--lang", "en"])
    assert annulled.exit_code == 1 and annulled.output.startswith("TOTAL-FAILED / ANNULLED")
    assert "ANNULLED:" in annulled.output

    garbage = tmp_path / "rac.pdf"
    garbage.write_bytes(b"not a pdf at all")
    refused = runner.invoke(main, ["verify", str(garbage), "--lang", "en"])
    assert refused.exit_code == 2 and "not_a_pdf: The file is not a PDF document" in refused.output
