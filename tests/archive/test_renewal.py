"""Scheduled B-LTA renewal: documents timestamped by a TSA whose certificate expires soon are
extended before it does, and then validate (pyHanko, poppler) after that expiry; the unrenewed
copies do not. Runs are bounded, idempotent and survive being killed."""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESStatus
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.policy_decl import (
    PdfSignatureValidationSpec, RevinfoOnlineFetchingRule, RevocationInfoGatheringSpec, SignatureValidationSpec,
)
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.policy_decl import REQUIRE_REVINFO, CertRevTrustPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager
from sqlalchemy import func, select

from wallet_service.archive.cli import archive_group
from wallet_service.archive.models import ResultVersion
from wallet_service.archive.proofs import read_proof
from wallet_service.models import AuditEvent, Result, db
from wallet_service.services import services

from .short_tsa import OLD_TSA_DAYS


def run_cli(app, *args: str):
    answer = app.test_cli_runner().invoke(archive_group, list(args))
    db.session.expire_all()
    return answer


def document_timestamps(data: bytes) -> int:
    return len(PdfFileReader(BytesIO(data), strict=False).embedded_timestamp_signatures)


def lta_status(data: bytes, root) -> AdESStatus:
    """pyHanko's AdES validation with long-term availability (ETSI EN 319 102-1 5.6.3) of the seal at
    the (travelled) present: revocation data required, fetched online only for the present."""
    policy = CertValidationPolicySpec(trust_manager=SimpleTrustManager.build(trust_roots=[root]),
                                      revinfo_policy=CertRevTrustPolicy(REQUIRE_REVINFO))
    spec = PdfSignatureValidationSpec(SignatureValidationSpec(
        cert_validation_policy=policy,
        revinfo_gathering_policy=RevocationInfoGatheringSpec(online_fetching_rule=RevinfoOnlineFetchingRule.NO_HISTORICAL_FETCH),
    ))
    signature = PdfFileReader(BytesIO(data), strict=False).embedded_regular_signatures[0]
    return asyncio.run(ades_lta_validation(signature, spec)).ades_subindic.status


def pdfsig(data: bytes, tmp_path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, timeout=60).stdout


def stored(app, result: Result) -> bytes:
    return services(app).documents.get(result.signed_sha256)


def test_due_results_are_renewed_once_and_validate_after_the_old_tsa_certificate_expires(
        app, sealed_results, short_tsa_pki, tmp_path):
    originals = {dossier: stored(app, r) for dossier, r in sealed_results.items()}
    now = dt.datetime.now(dt.timezone.utc)
    answer = run_cli(app, "renew")
    assert "renewed 0 result(s)" in answer.output  # 400 days left: not within the 180-day margin yet

    with time_machine.travel(now + dt.timedelta(days=OLD_TSA_DAYS - 100), tick=True):
        assert "3 result(s) would be renewed" in run_cli(app, "renew", "--dry-run").output
        answer = run_cli(app, "renew", "--limit", "2")
        assert "renewed 2 result(s), 0 failed" in answer.output, answer.output
        answer = run_cli(app, "renew")
        assert "renewed 1 result(s), 0 failed" in answer.output, answer.output
        assert "renewed 0 result(s)" in run_cli(app, "renew").output

    after_expiry = short_tsa_pki.old_tsa_expiry + dt.timedelta(days=30)
    for dossier, result in sealed_results.items():
        renewed = stored(app, result)
        assert renewed.startswith(originals[dossier])  # an incremental update: the issued bytes are kept
        assert document_timestamps(renewed) == document_timestamps(originals[dossier]) + 1
        facts = read_proof(renewed)  # what the schedule now knows: the new TSA certificate's expiry
        assert facts.expires_at == short_tsa_pki.cert("tsa-new")["tbs_certificate"]["validity"]["not_after"].native
        assert facts.document_timestamps == document_timestamps(renewed)
        assert services(app).documents.get(db.session.scalar(
            select(ResultVersion.sha256).where(ResultVersion.result_id == result.id))) == originals[dossier]
    with time_machine.travel(after_expiry):
        for dossier, result in sealed_results.items():
            assert lta_status(stored(app, result), short_tsa_pki.root) is AdESStatus.PASSED
            assert lta_status(originals[dossier], short_tsa_pki.root) is not AdESStatus.PASSED
    # poppler checks the seal (it does not verify RFC 3161 document timestamps, which it lists as
    # "not yet verified"): still intact under the appended updates, the new timestamp last.
    report = pdfsig(stored(app, next(iter(sealed_results.values()))), tmp_path)
    assert report.count("Signature #") == 3 and "Signature #1:" in report, report
    seal, *_, newest = report.split("Signature #")[1:]
    assert "Signature Validation: Signature is Valid." in seal
    assert "chứng thư mới" in newest
    events = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "result.proof_renewed"))
    assert events == 3


class KilledAfter:
    """The real extender, with the process 'killed' (KeyboardInterrupt: not caught by the run) right
    after the chunk holding the `count`-th new document was made, before its transaction commits."""

    def __init__(self, extender, count: int):
        self.extender, self.left = extender, count

    def __enter__(self):
        self.extender.__enter__()
        return self

    def __exit__(self, *exc):
        self.extender.__exit__(*exc)

    def extend_many(self, documents: list[bytes]) -> list:
        renewed = self.extender.extend_many(documents)
        self.left -= len(documents)
        if self.left <= 0:
            raise KeyboardInterrupt
        return renewed


@pytest.mark.postgres
def test_a_run_killed_midway_and_rerun_gives_each_document_exactly_one_new_timestamp(app, sealed_results):
    from wallet_service import archive
    from wallet_service.archive.renewal import run

    originals = {dossier: stored(app, r) for dossier, r in sealed_results.items()}
    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=OLD_TSA_DAYS - 100), tick=True):
        with pytest.raises(KeyboardInterrupt):  # chunks of two: the first is committed, the second is not
            run(db.session, services(app).documents, lambda: KilledAfter(archive.extender_for(app), 3),
                archive.policy_for(app), limit=10, chunk=2)
        db.session.rollback()  # what the database does with a dead connection's transaction
        assert db.session.scalar(select(func.count()).select_from(ResultVersion)) == 2
        assert "renewed 1 result(s), 0 failed" in run_cli(app, "renew").output
        assert "renewed 0 result(s)" in run_cli(app, "renew").output
    for dossier, result in sealed_results.items():
        assert document_timestamps(stored(app, result)) == document_timestamps(originals[dossier]) + 1
        assert db.session.scalar(select(func.count()).select_from(ResultVersion)
                                 .where(ResultVersion.result_id == result.id)) == 1


@pytest.mark.postgres
def test_two_worker_processes_renew_each_due_document_exactly_once(app, sealed_results):
    originals = {dossier: stored(app, r) for dossier, r in sealed_results.items()}
    # --before, not a travelled clock: the spawned workers read the real one.
    before = (dt.date.today() + dt.timedelta(days=OLD_TSA_DAYS + 1)).isoformat()
    assert f"renewed {len(sealed_results)} result(s), 0 failed" in run_cli(
        app, "renew", "--workers", "2", "--before", before).output
    assert "renewed 0 result(s)" in run_cli(app, "renew", "--workers", "2", "--before", before).output
    for dossier, result in sealed_results.items():
        assert document_timestamps(stored(app, result)) == document_timestamps(originals[dossier]) + 1
        assert db.session.scalar(select(func.count()).select_from(ResultVersion)
                                 .where(ResultVersion.result_id == result.id)) == 1


@pytest.mark.postgres
def test_a_renewal_process_killed_is_reported_and_the_others_renew_each_document_once(app, sealed_results):
    import signal

    from wallet_service import archive
    from wallet_service.archive.parallel import Setup, Workers
    from wallet_service.archive.renewal import chunks, list_due

    if db.engine.dialect.name != "postgresql":
        pytest.skip("renewal processes run on PostgreSQL only")
    originals = {r.id: stored(app, r) for r in sealed_results.values()}
    settings = services(app).settings
    policy = archive.policy_for(app, dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=OLD_TSA_DAYS + 1))
    workers = Workers(Setup(settings.sqlalchemy_url, settings.documents_dir, archive.extender_spec(app), policy), 2)
    os.kill(workers.processes[0].pid, signal.SIGKILL)  # as when the machine kills it: no report, nothing committed
    _, due_ids = list_due(db.session, services(app).documents, policy, 10)
    with pytest.raises(RuntimeError, match="ended without reporting"):
        workers.renew(chunks(due_ids, 1))
    db.session.expire_all()
    for result in sealed_results.values():
        assert document_timestamps(stored(app, result)) == document_timestamps(originals[result.id]) + 1
        assert db.session.scalar(select(func.count()).select_from(ResultVersion)
                                 .where(ResultVersion.result_id == result.id)) == 1


def post_pdf(client, data: bytes):
    return client.post("/api/v1/verify", data={"document": (BytesIO(data), "result.pdf", "application/pdf")},
                       headers={"Accept-Language": "vi"}, content_type="multipart/form-data")


def test_citizens_get_the_renewed_copy_the_registry_knows_the_old_one_and_annulled_results_lapse(
        app, sealed_results, untrusting_verifier):
    from wallet_service.access import CITIZEN, Principal
    from wallet_service.verify.holder import VerifierHolder

    from ..conftest import login_as, official_principal

    services(app).verifier = VerifierHolder(lambda: untrusting_verifier)
    annulled, *live = sealed_results.values()
    client = app.test_client()
    token = login_as(app, client, official_principal("official1"))
    assert client.post(f"/api/v1/results/{annulled.id}/revoke", json={"reason": "Cấp nhầm người nhận"},
                       headers={"X-CSRFToken": token}).status_code == 200
    originals = {r.id: stored(app, r) for r in sealed_results.values()}

    with time_machine.travel(dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=OLD_TSA_DAYS - 100), tick=True):
        assert "not read yet: 2" in run_cli(app, "status").output
        run_cli(app, "renew", "--dry-run")
        status = run_cli(app, "status").output
        assert "overdue now: 2" in status, status
        assert any(f"oldest unrenewed proof: result {r.id}" in status for r in live), status
        assert len([line for line in status.splitlines() if line[:2] == "20"]) == 24
        assert "renewed 2 result(s), 0 failed" in run_cli(app, "renew").output
        assert "oldest unrenewed proof: none" in run_cli(app, "status").output
    db.session.expire_all()
    assert stored(app, annulled) == originals[annulled.id]  # an annulled result's proof may lapse

    result = live[0]
    citizen = Principal(CITIZEN, result.citizen.id, result.citizen.full_name, personal_id=result.citizen.personal_id)
    login_as(app, client, citizen)
    download = client.get(f"/api/v1/results/{result.id}/document")
    assert download.status_code == 200 and download.data == stored(app, result) != originals[result.id]

    old = post_pdf(client, originals[result.id]).get_json()
    assert old["registry"]["match"] == "superseded" and old["registry"]["result_id"] == result.id
    assert "bản gia hạn" in old["registry_message"]
    assert post_pdf(client, stored(app, result)).get_json()["registry"]["match"] == "exact"
    assert post_pdf(client, originals[annulled.id]).get_json()["registry"]["status"] == "annulled"


def test_a_proof_that_already_lapsed_is_reported_not_built_upon(app, sealed_results, short_tsa_pki):
    with time_machine.travel(short_tsa_pki.old_tsa_expiry + dt.timedelta(days=10), tick=True):
        answer = run_cli(app, "renew")
    assert answer.exit_code == 1, answer.output
    assert "renewed 0 result(s), 3 failed" in answer.output
    assert "the newest document timestamp does not validate" in answer.output
    assert db.session.scalar(select(func.count()).select_from(ResultVersion)) == 0


ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = os.environ.get("WALLET_TEST_ARCHIVE_BROKER_URL", "redis://127.0.0.1:6379/12")
CELERY = {"CELERY_BROKER_URL": BROKER_URL, "CELERY_QUEUE": f"wallet-test-archive-{uuid.uuid4().hex[:12]}"}


def broker_answers() -> bool:
    parts = urlsplit(BROKER_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=2):
            return True
    except OSError:
        return False


def start_worker(app, database_url: str, keys_config: str, log: Path) -> subprocess.Popen:
    environment = dict(os.environ, **CELERY, DATABASE_URL=database_url,
                       INSTANCE_PATH=str(services(app).settings.instance_path),
                       KEYS_CONFIG=keys_config, ARCHIVE_RENEW_WORKERS="2",
                       ARCHIVE_RENEWAL_MARGIN_DAYS=str(OLD_TSA_DAYS + 30))  # every sealed result is due now
    with open(log, "w") as out:
        return subprocess.Popen([sys.executable, "-m", "celery", "-A", "wallet_service.worker", "worker",
                                 "--pool", "prefork", "--concurrency", "2", "--without-gossip", "--without-mingle",
                                 "--loglevel", "INFO"],
                                cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.postgres
@pytest.mark.parametrize("app", [CELERY], indirect=True)
def test_under_celery_the_beat_run_sends_due_results_to_the_prefork_pool_as_tasks_each_renewed_once(
        app, sealed_results, database_url, keys_config, tmp_path):
    """A pool process may not start processes of its own, so the run sends what is due as tasks."""
    if not database_url.startswith("postgresql") or not broker_answers():
        pytest.skip("a Celery worker needs PostgreSQL and a broker")
    log = tmp_path / "worker.log"
    worker = start_worker(app, database_url, keys_config, log)
    try:
        services(app).celery.send_task("wallet.every.archive_renewal")  # what beat sends
        deadline = time.monotonic() + 60
        count = select(func.count()).select_from(ResultVersion)
        while time.monotonic() < deadline and worker.poll() is None and db.session.scalar(count) < 3:
            db.session.rollback()
            time.sleep(0.3)
        time.sleep(0.5)  # a second renewal of one of them, if any, would land now
        versions = db.session.execute(select(ResultVersion.result_id, func.count())
                                      .group_by(ResultVersion.result_id)).all()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    output = log.read_text(errors="replace")
    assert sorted(versions) == sorted((r.id, 1) for r in sealed_results.values()), output
    assert "daemonic processes are not allowed" not in output
    assert output.count("Task wallet.archive_renew[") >= 2 * 2, output  # two tasks, each received and succeeded
