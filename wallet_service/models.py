"""Database model. The database holds identities, states, hashes and document references; never
key material (keys live in files, an HSM or a remote signing service) and no document bytes except a running
signing batch's journal (`SigningJournalEntry`), deleted when the batch ends."""
from __future__ import annotations

import datetime as dt
import enum
import uuid

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def new_uuid() -> str:
    return str(uuid.uuid4())


class ResultStatus(enum.StrEnum):
    """Stored as its string value; members compare equal to plain strings."""

    PENDING_SIGNATURE = "pending_signature"
    SIGNING = "signing"
    SIGNED = "signed"
    DELIVERED = "delivered"
    FAILED = "failed"
    ANNULLED = "annulled"
    RETURNED = "returned"
    """Not issued: the agency sent the dossier back to the case system with a reason (trả lại hồ sơ)."""


# The result state machine. Anything else is a bug or a race, refused by `Result.move_to`.
RESULT_TRANSITIONS: dict[ResultStatus, frozenset[ResultStatus]] = {
    ResultStatus.PENDING_SIGNATURE: frozenset({ResultStatus.SIGNING, ResultStatus.ANNULLED, ResultStatus.RETURNED}),
    ResultStatus.SIGNING: frozenset({ResultStatus.SIGNED, ResultStatus.FAILED, ResultStatus.PENDING_SIGNATURE}),
    ResultStatus.FAILED: frozenset({ResultStatus.SIGNING, ResultStatus.ANNULLED, ResultStatus.RETURNED}),
    ResultStatus.SIGNED: frozenset({ResultStatus.DELIVERED, ResultStatus.ANNULLED}),
    ResultStatus.DELIVERED: frozenset({ResultStatus.ANNULLED}),
    ResultStatus.ANNULLED: frozenset(),
    ResultStatus.RETURNED: frozenset(),
}


class BatchStatus(enum.StrEnum):
    """A signing batch: waiting for its official's approval, waiting for a worker, held by one (with a
    lease), done; or given up when the official never approved it."""

    AWAITING_AUTHORISATION = "awaiting_authorisation"
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    EXPIRED = "expired"


class BatchItemStatus(enum.StrEnum):
    """One result of a signing batch: not recorded yet, signed, failed (with the reason), or handed
    back to the queue unsigned because the batch expired."""

    QUEUED = "queued"
    DONE = "done"
    FAILED = "failed"
    RELEASED = "released"


class DeliveryStatus(enum.StrEnum):
    """An outbox row: due (or being retried), sent, or given up."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"

class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every database: SQLite stores no zone, so it is put back on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(dt.timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value


Timestamp = UTCDateTime()


class Agency(db.Model):
    __tablename__ = "agencies"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    province_code: Mapped[str] = mapped_column(String(2))
    commune_code: Mapped[str | None] = mapped_column(String(5))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    parent: Mapped[Agency | None] = relationship(remote_side=[id])
    seal_image_sha256: Mapped[str | None] = mapped_column(String(64))
    """The agency's seal image (PNG) in the document store: drawn by its signature at the signing block."""


class Official(db.Model):
    __tablename__ = "officials"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str | None] = mapped_column(String(255))
    """None for an official an administrator registered who has not logged in yet (matched by username)."""
    username: Mapped[str | None] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    key_reference: Mapped[str | None] = mapped_column(String(255))
    """Where the official's signing key is (PKCS#12 name, HSM label, CSC credential id) — never the key."""
    sessions_ended_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    """When an administrator last ended this official's sessions: those opened before are refused."""
    signature_image_sha256: Mapped[str | None] = mapped_column(String(64))
    """The official's signature image (PNG) in the document store, drawn at the signing block."""
    agency: Mapped[Agency] = relationship()


class Citizen(db.Model):
    __tablename__ = "citizens"
    id: Mapped[int] = mapped_column(primary_key=True)
    personal_id: Mapped[str] = mapped_column(String(12), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    """From the identity provider's `email` claim at the last login: where arrival notices are mailed."""
    phone: Mapped[str | None] = mapped_column(String(32))
    """From its `phone_number` claim: where the SMS/Zalo gateway sends arrival notices."""


class ApiClient(db.Model):
    """A case system (or digitisation station) allowed to post results. Its private keys stay with it;
    we keep their public keys (`ApiClientKey`)."""

    __tablename__ = "api_clients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    agency_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    kind: Mapped[str] = mapped_column(String(16), default="case_system", server_default="case_system")
    """`case_system` (posts results, reads shared copies) or `station` (a digitisation station: posts scans)."""
    keys: Mapped[list[ApiClientKey]] = relationship(back_populates="client", order_by="ApiClientKey.id")


class ApiClientKey(db.Model):
    """A public key a client signs its bearer assertions with. Two may be active at once while the
    client changes keys; a retired key is kept (audit) but no longer accepted."""

    __tablename__ = "api_client_keys"
    __table_args__ = (UniqueConstraint("client_id", "kid"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), index=True)
    kid: Mapped[str] = mapped_column(String(64))
    """RFC 7638 JWK thumbprint (SHA-256, base64url): what an assertion's `kid` header names."""
    public_key_pem: Mapped[str] = mapped_column(Text)
    added_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    retired_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    client: Mapped[ApiClient] = relationship(back_populates="keys")


class UsedAssertion(db.Model):
    """`jti`s of accepted bearer assertions, kept until they expire, so a replay is refused on every worker."""

    __tablename__ = "used_assertions"
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)


class Result(db.Model):
    __tablename__ = "results"
    # The dashboard counts per agency over a time range: one index per time it ranges over, carrying
    # (PostgreSQL) the columns its counts read, so they are answered from the index alone.
    __table_args__ = (
        Index("ix_results_agency_created", "agency_id", "created_at",
              postgresql_include=["procedure_code", "procedure_name", "status", "due_at", "delivered_at"]),
        Index("ix_results_agency_signed", "agency_id", "signed_at", postgresql_include=["procedure_code"]),
        Index("ix_results_agency_delivered", "agency_id", "delivered_at",
              postgresql_include=["procedure_code", "created_at"]),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    dossier_code: Mapped[str] = mapped_column(String(64), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(64))
    procedure_name: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(500))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    citizen_name: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))  # indexed first in the three indexes above
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    commune_code: Mapped[str | None] = mapped_column(String(5))
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(32), default=ResultStatus.PENDING_SIGNATURE, index=True)
    """A `ResultStatus`."""
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_size: Mapped[int] = mapped_column(Integer)
    signed_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    submitted_by_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"))
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)
    signed_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    annulled_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    annulment_reason: Mapped[str | None] = mapped_column(Text)
    returned_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    return_reason: Mapped[str | None] = mapped_column(Text)
    search_text: Mapped[str | None] = mapped_column(Text)
    """Title, citizen's name and procedure without diacritics, lower case (`formats.fold`): searched
    so that "nguyen van an" finds "Nguyễn Văn An" in the database, not in Python."""
    received_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    """When the case system received the dossier (its metadata `received_at`), if it said."""
    due_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    """The dossier's legal deadline from the case system: on time when signed and delivered by then."""
    delivered_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    """When the result became `delivered`."""
    kind: Mapped[str] = mapped_column(String(32), default="result", server_default="result")
    """`result` (a case system's decided dossier) or `certified_copy` (a digitised paper original)."""

    agency: Mapped[Agency] = relationship()
    citizen: Mapped[Citizen] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="result", order_by="Delivery.id")
    signatures: Mapped[list[ResultSignature]] = relationship(order_by="ResultSignature.position")

    def move_to(self, status: ResultStatus) -> None:
        current = ResultStatus(self.status)
        if status not in RESULT_TRANSITIONS[current]:
            raise InvalidTransition(current, status)
        self.status = status
        if status == ResultStatus.DELIVERED:
            self.delivered_at = utcnow()


class Rating(db.Model):
    """A citizen's rating of a delivered result: one per result, changeable for a while after the first."""

    __tablename__ = "ratings"
    __table_args__ = (Index("ix_ratings_agency_updated", "agency_id", "updated_at", postgresql_include=["stars"]),)
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), unique=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    """The result's agency, kept here so the dashboard counts ratings per agency without a join."""
    stars: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class InvalidTransition(RuntimeError):
    def __init__(self, current: ResultStatus, wanted: ResultStatus):
        super().__init__(f"a result cannot go from {current.value} to {wanted.value}")
        self.current = current
        self.wanted = wanted


class ResultSignature(db.Model):
    """One signature in a signed result: 1 = the official's, 2 = the agency seal (Decree 30/2020)."""

    __tablename__ = "result_signatures"
    __table_args__ = (UniqueConstraint("result_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"))  # indexed first in the unique constraint
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    signer_name: Mapped[str] = mapped_column(String(255))
    organization: Mapped[str | None] = mapped_column(String(255))
    certificate_serial: Mapped[str] = mapped_column(String(64))
    certificate_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))


class SigningBatch(db.Model):
    __tablename__ = "signing_batches"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    status: Mapped[str] = mapped_column(String(32), default=BatchStatus.QUEUED, index=True)
    """A `BatchStatus`."""
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    authorisation: Mapped[str | None] = mapped_column(String(16))
    """How the official approves it (`signing.keys.HolderApproval`: csc, agent); None when the key needs no one."""
    authorise_by: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    """While awaiting authorisation: when the batch expires unless approved."""
    prepared_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    """When the documents and their to-be-signed digests were ready for approval."""
    authorised_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    """The first approval; its results were claimed then."""
    agent_nonce: Mapped[str | None] = mapped_column(String(64))
    """Echoed by the official's signing agent, so that an answer for another batch is refused."""
    note: Mapped[str | None] = mapped_column(Text)
    """Why the batch waits (`code: message`), e.g. the approval ran out mid-batch."""
    lease_until: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    """While running: the worker holding the batch renews this; once past, another worker may take over."""
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    """Fencing token: raised by each claim; a worker records outcomes only while it holds the current one."""
    items: Mapped[list[SigningBatchItem]] = relationship(back_populates="batch", order_by="SigningBatchItem.id")


class SigningBatchItem(db.Model):
    __tablename__ = "signing_batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "result_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(ForeignKey("signing_batches.id"))  # indexed first in the unique constraint
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=BatchItemStatus.QUEUED)
    """A `BatchItemStatus`."""
    error: Mapped[str | None] = mapped_column(Text)
    batch: Mapped[SigningBatch] = relationship(back_populates="items")


class SigningJournalEntry(db.Model):
    """One result's state in one signature step of a batch (`signing.journal.BatchJournal`), shared by every
    worker of every machine, so that a batch taken over is finished, not signed again."""

    __tablename__ = "signing_journal_entries"
    batch_id: Mapped[str] = mapped_column(ForeignKey("signing_batches.id"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(16))  # a `signing.journal.ItemState`
    seq: Mapped[int | None] = mapped_column(Integer)  # order of preparation: the order digests are signed in
    prepared_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    prior_contents: Mapped[bytes | None] = mapped_column(LargeBinary)  # set: prepared_pdf extends the prior output
    placeholder_omitted: Mapped[bool | None] = mapped_column(Boolean)  # its empty placeholder left out
    document_digest: Mapped[bytes | None] = mapped_column(LargeBinary)
    reserved_start: Mapped[int | None] = mapped_column(Integer)
    reserved_end: Mapped[int | None] = mapped_column(Integer)
    signed_attributes: Mapped[bytes | None] = mapped_column(LargeBinary)
    tbs_digest: Mapped[bytes | None] = mapped_column(LargeBinary)
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    output_pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    output_sha256: Mapped[str | None] = mapped_column(String(64))  # output kept in the document store
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)


class Delivery(db.Model):
    """Outbox row: written in the same transaction that marks a result signed, sent by a worker."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("result_id", "target", "event"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[str] = mapped_column(ForeignKey("results.id"))  # indexed first in the unique constraint
    target: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(16), default="signed")
    """What the store is told: `signed` (the result exists) or `annulled` (it was withdrawn)."""
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.PENDING, index=True)
    """A `DeliveryStatus`."""
    idempotency_key: Mapped[str] = mapped_column(String(36), default=new_uuid, unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    result: Mapped[Result] = relationship(back_populates="deliveries")


class AuditEvent(db.Model):
    """Append-only record of who did what to which result; `hash` chains each event to the previous one."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(64))
    result_id: Mapped[str | None] = mapped_column(String(36), index=True)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditCheckpoint(db.Model):
    """The audit chain's head at one moment, timestamped by the TSA (RFC 3161): events up to
    `event_id` can no longer be removed or rewritten without `audit verify` noticing."""

    __tablename__ = "audit_checkpoints"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)
    """The last event the checkpoint covers."""
    head_hash: Mapped[str] = mapped_column(String(64))
    """That event's hash, as it was when timestamped."""
    stamped_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    """The time the TSA's token gives."""
    token: Mapped[bytes] = mapped_column(LargeBinary)
    """The RFC 3161 time-stamp token (DER), over the head hash."""
