"""Arrival notices: the citizen is told, in Vietnamese, that a result is in their wallet, by e-mail
(SMTP) or through an SMS/Zalo gateway's webhook. A notice names the result, its dossier and agency
and links to the wallet; it never carries the personal ID number or the document."""
from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from ..models import Result
from .targets import EMAIL, DeliveryTarget
from .webhook import SendFailed, Sender, check_answer

SUBJECT = "Kết quả thủ tục hành chính đã có trong ví của ông/bà"
NOTICE_MEDIA_TYPE = "application/json"


@dataclass(frozen=True)
class Notice:
    """What one arrival notice says and to whom, read before the send (no transaction stays open)."""

    citizen_name: str
    email: str | None
    phone: str | None
    title: str
    dossier_code: str
    agency_name: str
    wallet_url: str
    """The result's page in the citizen's wallet (behind their login)."""

    @classmethod
    def of(cls, result: Result, base_url: str) -> "Notice":
        return cls(result.citizen_name, result.citizen.email, result.citizen.phone, result.title, result.dossier_code,
                   result.agency.name, f"{base_url}/wallet/results/{result.id}")

    def mail_text(self) -> str:
        return (
            f"Kính gửi ông/bà {self.citizen_name},\n\n"
            f"Kết quả giải quyết thủ tục hành chính \"{self.title}\" (hồ sơ số {self.dossier_code}) "
            f"do {self.agency_name} cấp đã được ký số và chuyển vào ví kết quả của ông/bà.\n\n"
            f"Xem và tải về: {self.wallet_url}\n\n"
            "Thư này được gửi tự động, xin đừng trả lời.\n"
        )

    def short_text(self) -> str:
        """For SMS or Zalo: short, without the citizen's name."""
        return f"Kết quả hồ sơ {self.dossier_code} ({self.title}) đã có trong ví của ông/bà. Xem: {self.wallet_url}"


def send_notice(http: Sender, target: DeliveryTarget, idempotency_key: str, notice: Notice) -> None:
    """Send one arrival notice; raise SendFailed (retryable or not) when it was not accepted."""
    if target.type == EMAIL:
        _mail(target, notice, idempotency_key)
    else:
        _gateway(http, target, notice, idempotency_key)


def _mail(target: DeliveryTarget, notice: Notice, idempotency_key: str) -> None:
    message = EmailMessage()
    message["From"] = target.mail_from
    message["To"] = notice.email
    message["Subject"] = SUBJECT
    message["Date"] = formatdate(localtime=False)
    # the same on every attempt: a mailbox or the recipient can tell a resent notice from a new one
    message["Message-ID"] = f"<{idempotency_key}@wallet-service>"
    message.set_content(notice.mail_text())
    url = urlsplit(target.url)
    try:
        smtp_class = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
        with smtp_class(url.hostname, url.port or (465 if url.scheme == "smtps" else 25),
                        timeout=target.timeout_seconds) as smtp:
            if url.username:
                if url.scheme == "smtp":
                    smtp.starttls(context=ssl.create_default_context())
                smtp.login(unquote(url.username), target.secret() or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendFailed(f"SMTP refused the recipient: {exc}", retryable=False) from None
    except smtplib.SMTPResponseException as exc:
        raise SendFailed(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=exc.smtp_code < 500) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"{type(exc).__name__}: {exc}", retryable=True) from None


def _gateway(http: Sender, target: DeliveryTarget, notice: Notice, idempotency_key: str) -> None:
    secret = target.secret()
    if not secret:
        raise SendFailed(f"the variable {target.secret_env} holding the gateway's HMAC key is not set", retryable=True)
    body = json.dumps({"id": idempotency_key, "phone": notice.phone, "text": notice.short_text(),
                       "link": notice.wallet_url, "lang": "vi"}, ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    # signed with its time, so that a captured request cannot be replayed later as a new one
    signature = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": NOTICE_MEDIA_TYPE, "Idempotency-Key": idempotency_key,
               "X-Signature-Timestamp": stamp, "X-Signature": f"sha256={signature}"}
    check_answer(*http.post(target.url, body, headers, target.timeout_seconds), detail=False)
