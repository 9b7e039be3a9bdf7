"""Arrival notices: once a result is in the citizen's wallet, an e-mail reaches a real SMTP server
(aiosmtpd, in-process) and an HMAC-signed notice reaches an SMS/Zalo gateway's webhook, both through
the outbox, in Vietnamese, without the personal ID number; the result is `delivered` without waiting
for them; a citizen the provider gave no contact for gets none."""
from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading

import pytest
from sqlalchemy import select

from wallet_service.delivery import deliver_due
from wallet_service.models import Citizen, Delivery, Result, db

from .conftest import AGENCY1

SECRET = "gateway-hmac-key-for-the-tests-only"


class Mailbox:
    """aiosmtpd's handler interface: every message the server accepted, parsed."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.arrived.set()
        return "250 OK"


@pytest.fixture
def mailbox():
    from aiosmtpd.controller import Controller

    box = Mailbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks its own server, so not port 0)
        probe.bind(("127.0.0.1", 0))
        box.port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    yield box
    controller.stop()


@pytest.fixture
def targets_file(tmp_path, store, mailbox, monkeypatch) -> str:
    monkeypatch.setenv("WALLET_TEST_NOTICE_SECRET", SECRET)
    targets = [
        {"name": "mail", "type": "email", "url": f"smtp://127.0.0.1:{mailbox.port}", "mail_from": "Ví kết quả <no-reply@example.com>"},
        {"name": "sms-zalo", "type": "notice_webhook", "url": store.url + "?sms", "secret_env": "WALLET_TEST_NOTICE_SECRET"},
    ]
    path = tmp_path / "targets.json"
    path.write_text(json.dumps({"targets": targets}))
    return str(path)


def _result_of_a_reachable_citizen(demo_results) -> Result:
    result = next(r for r in demo_results.values() if r.agency.code == AGENCY1)
    result.citizen.email, result.citizen.phone = "le.thi.hoa@example.com", "+84900012345"
    db.session.commit()
    return result


def test_email_and_gateway_notices_arrive_in_vietnamese(app, demo_results, sign, store, mailbox):
    result = sign(_result_of_a_reachable_citizen(demo_results))
    assert result.status == "delivered"  # notices never hold the result back
    assert sorted((d.target, d.event) for d in db.session.scalars(select(Delivery))) == [("mail", "notice"), ("sms-zalo", "notice")]
    assert deliver_due(app) == 2
    assert mailbox.arrived.wait(10)
    [mail] = mailbox.messages
    assert mail["To"] == "le.thi.hoa@example.com" and mail["Subject"].startswith("Kết quả thủ tục hành chính")
    body = mail.get_content()
    assert "Kính gửi ông/bà Lê Thị Hoa" in body and result.dossier_code in body and result.title in body
    assert f"/wallet/results/{result.id}" in body
    assert result.citizen.personal_id not in body and result.citizen.personal_id not in mail.as_string()

    [sms] = store.state.accepted.values()
    notice = json.loads(sms.body)
    assert notice["phone"] == "+84900012345" and result.dossier_code in notice["text"] and notice["lang"] == "vi"
    assert result.citizen.personal_id not in sms.body.decode()
    assert sms.idempotency_key == db.session.scalar(select(Delivery.idempotency_key).where(Delivery.target == "sms-zalo"))
    statuses = set(db.session.scalars(select(Delivery.status)))
    assert statuses == {"sent"}


def test_gateway_signature_is_checkable_with_the_shared_key(app, demo_results, sign, store):
    sign(_result_of_a_reachable_citizen(demo_results))
    deliver_due(app)
    [sms] = store.state.accepted.values()
    headers = sms.headers  # the gateway checks the signature over "<timestamp>.<body>" with the shared key
    expected = hmac.new(SECRET.encode(), headers["X-Signature-Timestamp"].encode() + b"." + sms.body, hashlib.sha256)
    assert headers["X-Signature"] == "sha256=" + expected.hexdigest()


def test_a_citizen_without_contact_details_gets_no_notice(app, demo_results, sign, mailbox):
    result = next(r for r in demo_results.values() if r.agency.code == AGENCY1)
    assert db.session.get(Citizen, result.citizen_id).email is None
    sign(result)
    assert db.session.scalars(select(Delivery)).all() == []
    assert deliver_due(app) == 0 and mailbox.messages == []
