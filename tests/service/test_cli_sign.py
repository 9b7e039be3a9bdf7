"""`wallet-service sign`: an operator signs one PDF; pdfsig reads the result."""
from __future__ import annotations

import subprocess

from wallet_service.cli import main
from wallet_service.dev.demo import result_pdf
from wallet_service.services import services


def test_sign_command_with_a_configured_key(live_app, tmp_path):
    source = tmp_path / "in.pdf"
    source.write_bytes(result_pdf("Sở Xây dựng tỉnh Quảng Ninh", "Giấy phép xây dựng", "Phạm Văn Minh",
                                  "000.00.04.H40-251121-0009", ("Công trình: nhà ở riêng lẻ",)))
    out = tmp_path / "out.pdf"
    result = live_app.test_cli_runner().invoke(
        main, ["sign", str(source), "-o", str(out), "--level", "B-LT", "--key", "000.00.04.H40", "--stamp"]
    )
    assert result.exit_code == 0, result.output
    assert "Sở Xây dựng tỉnh Quảng Ninh, B-LT" in result.output
    report = subprocess.run(["pdfsig", str(out)], capture_output=True, text=True, timeout=60).stdout
    assert "Signature is Valid." in report and "Sở Xây dựng tỉnh Quảng Ninh" in report


def test_sign_command_refusals(live_app, tmp_path):
    source = tmp_path / "in.pdf"
    source.write_bytes(b"%PDF-1.7\nnot really a pdf\n%%EOF\n")
    runner = live_app.test_cli_runner()
    both = runner.invoke(main, ["sign", str(source), "-o", str(tmp_path / "o.pdf")])
    assert both.exit_code != 0 and "exactly one of" in both.output
    broken = runner.invoke(main, ["sign", str(source), "-o", str(tmp_path / "o.pdf"), "--key", "official1"])
    assert broken.exit_code != 0 and "Error:" in broken.output
    assert not (tmp_path / "o.pdf").exists()
    pki = services(live_app).keys.pki
    wrong = runner.invoke(main, ["sign", str(source), "-o", str(tmp_path / "o.pdf"), "--pkcs12", str(pki.pkcs12_path("official1"))],
                          env={"PKCS12_PASSPHRASE": "not-the-passphrase"})
    assert wrong.exit_code != 0 and "pkcs12_unreadable" in wrong.output


def test_sign_command_adds_a_second_signature_in_another_field(live_app, tmp_path):
    source = tmp_path / "in.pdf"
    source.write_bytes(result_pdf("Sở Xây dựng tỉnh Quảng Ninh", "Giấy phép xây dựng", "Phạm Văn Minh",
                                  "000.00.04.H40-251121-0010", ("Công trình: nhà ở riêng lẻ",)))
    runner = live_app.test_cli_runner()
    once, twice = tmp_path / "once.pdf", tmp_path / "twice.pdf"
    first = runner.invoke(main, ["sign", str(source), "-o", str(once), "--level", "B-B", "--key", "official1",
                                 "--field", "Official"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, ["sign", str(once), "-o", str(twice), "--level", "B-B", "--key", "000.00.04.H40",
                                  "--field", "Seal"])
    assert second.exit_code == 0, second.output
    report = subprocess.run(["pdfsig", str(twice)], capture_output=True, text=True, timeout=60).stdout
    assert report.count("Signature is Valid.") == 2, report
    assert "Sở Xây dựng tỉnh Quảng Ninh" in report
