"""Production refuses to start, in one line and without a traceback, on a configuration that could
only fail later: the address, the trust roots, the credential issuer's key, the assertion lifetime."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import production_environment
from wallet_service import create_app
from wallet_service.platform.config import ConfigError, environment_variables

ROOT = Path(__file__).resolve().parents[2]


INIT = [sys.executable, "-c", "from wallet_service.cli import main; main()", "init"]
GUNICORN = [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", "127.0.0.1:0", "wsgi:app"]
CELERY_WORKER = [sys.executable, "-m", "celery", "-A", "wallet_service.worker", "worker", "--pool", "solo"]


def start_in_production(runs: dict[str, tuple[list[str], dict[str, str]]]) -> dict[str, subprocess.CompletedProcess]:
    """Each command as an operator starts it, with exactly its environment for the service's variables
    (side by side: each start costs seconds of imports)."""
    inherited = {k: v for k, v in os.environ.items() if k not in environment_variables()}
    started = {
        name: subprocess.Popen(command, cwd=ROOT, env={**inherited, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, (command, env) in runs.items()
    }
    done = {}
    for name, process in started.items():
        out, err = process.communicate(timeout=180)
        done[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return done


def changed(env: dict[str, str], **changes: str | None) -> dict[str, str]:
    """`env` with some variables changed (None: unset)."""
    return {k: v for k, v in {**env, **changes}.items() if v is not None}


@pytest.fixture
def production(tmp_path) -> dict[str, str]:
    return production_environment(tmp_path / "production")


def _empty_folder(env: dict[str, str]) -> str:
    empty = Path(env["INSTANCE_PATH"]).parent / "no-roots"
    empty.mkdir()
    (empty / "README.txt").write_text("not a certificate")
    return str(empty)


REFUSALS = {
    "public-base-url-unset": (
        lambda env: {"PUBLIC_BASE_URL": None},
        "PUBLIC_BASE_URL, the service's public https:// address (printed in QR codes, credentials and login "
        "redirects); it is unset."),
    "trust-roots-empty": (
        lambda env: {"TRUST_ROOTS_PATH": _empty_folder(env)},
        "WALLET_ENV=production needs trusted root certificates: No certificate in the trust-roots folder"),
    "issuer-key-missing": (
        lambda env: {"CREDENTIAL_ISSUER_KEY_FILE": env["CREDENTIAL_ISSUER_KEY_FILE"] + ".absent"},
        "CREDENTIAL_ISSUER_KEY_FILE: The credential issuer key file "),
    "assertion-max-age": (
        lambda env: {"CLIENT_ASSERTION_MAX_AGE": "3600"},
        "CLIENT_ASSERTION_MAX_AGE must be at most 300 seconds, not 3600."),
}


def test_init_starts_when_complete_and_refuses_each_gap_in_one_line(production):
    runs = start_in_production({"complete": (INIT, production), **{
        name: (INIT, changed(production, **spoil(production))) for name, (spoil, _) in REFUSALS.items()}})
    complete = runs.pop("complete")
    assert complete.returncode == 0, complete.stderr
    assert complete.stdout.startswith("database ready: sqlite:///")
    for name, refused in runs.items():
        assert (refused.returncode, refused.stdout) == (1, ""), (name, refused.stderr)
        (only,) = refused.stderr.strip().splitlines()  # and so no traceback
        assert only.startswith("Error: configuration: ") and REFUSALS[name][1] in only, (name, refused.stderr)


def test_gunicorn_and_the_celery_worker_refuse_in_one_line_too(production):
    without_address = changed(production, PUBLIC_BASE_URL=None)
    runs = start_in_production({"gunicorn": (GUNICORN, without_address),
                                "worker": (CELERY_WORKER, {**without_address, "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"})})
    line = "wallet-service: configuration error: WALLET_ENV=production needs PUBLIC_BASE_URL"
    worker = runs["worker"]
    assert worker.returncode == 3 and worker.stderr.strip().startswith(line), worker.stderr
    assert len(worker.stderr.strip().splitlines()) == 1
    gunicorn = runs["gunicorn"]  # gunicorn's own log lines around ours; its master stops at the exit code
    assert gunicorn.returncode != 0 and "Traceback" not in gunicorn.stderr, gunicorn.stderr
    assert [l for l in gunicorn.stderr.splitlines() if "wallet-service" in l][0].startswith(line)
    assert "Worker failed to boot" in gunicorn.stderr


@pytest.mark.parametrize("changes, message", [
    ({"PUBLIC_BASE_URL": "http://wallet.example.gov.vn"}, "it is 'http://wallet.example.gov.vn'"),
    ({"TRUST_ROOTS_PATH": None}, "set TRUST_ROOTS_PATH"),
    ({"TRUST_ROOTS_PATH": "/nonexistent/roots"}, "The trust-roots folder /nonexistent/roots (TRUST_ROOTS_PATH) does not exist"),
    ({"CREDENTIAL_ISSUER_KEY_FILE": None}, "set CREDENTIAL_ISSUER_KEY_FILE"),
    ({"CREDENTIAL_ISSUER_KEY_FILE": "TRUST_ROOT"}, "must hold an EC P-256 private key"),
    ({"CLIENT_ASSERTION_MAX_AGE": "301"}, "CLIENT_ASSERTION_MAX_AGE must be at most 300 seconds"),
    ({"CREDENTIAL_ISSUER_MODE": "haip"}, "set CREDENTIAL_ISSUER_CERT_FILE, WALLET_ATTESTATION_TRUST_ROOTS"),
    ({"CREDENTIAL_ISSUER_CERT_FILE": "TRUST_ROOT"}, "CREDENTIAL_ISSUER_CERT_FILE does not certify it"),
])
def test_each_variant_is_refused_by_name(production, changes, message):
    root = str(Path(production["TRUST_ROOTS_PATH"]) / "root.pem")  # a certificate where the key should be,
    changes = {name: root if value == "TRUST_ROOT" else value for name, value in changes.items()}  # or self-signed
    with pytest.raises(ConfigError) as refused:
        create_app(changed(production, **changes))
    assert message in str(refused.value)


def test_development_too_refuses_a_long_assertion_lifetime(tmp_path):
    with pytest.raises(ConfigError, match="at most 300"):
        create_app({"instance_path": tmp_path, "CLIENT_ASSERTION_MAX_AGE": "3600", "TESTING": True})
    assert create_app({"instance_path": tmp_path, "CLIENT_ASSERTION_MAX_AGE": "300", "TESTING": True})
