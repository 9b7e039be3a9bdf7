"""The batch signing pipeline.

For each signature step (Decree 30/2020: the official's signature, then the agency's
seal): prepare every document and compute its to-be-signed digest (worker processes),
obtain *one* authorisation from the key source for all digests, sign them in bulk, then
finish each document (CMS, timestamp, DSS, document timestamp; worker processes again).
Revocation data is fetched once per certificate per batch and reused for every document.
The workers are kept busy across those phases: the first step is prepared while the trust
services answer, each signing call's documents are finished while the key signs the next,
and a finished chunk is prepared for the next step in the same worker call.
Every transition is written to a :class:`~signing.journal.BatchJournal`, so a killed batch
resumes where it stopped.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import os
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator, Sequence

from asn1crypto import x509

from .contexts import TrustMaterial, fetch_trust, needs_trust, step_context
from .document import (
    DocumentToSign,
    ItemError,
    StepContext,
    finish_and_prepare,
    finish_documents,
    prepare_documents,
)
from .errors import InvalidRequest, KeySourceError, TrustServiceError
from .executors import bounded_map, new_worker_pool
from .journal import BatchJournal, ItemState
from .keys import KeySource, signature_check
from .profiles import PadesLevel, TrustServices
from .appearance import StampImage
from .stamp import StampFont, StampPlacement, StampText


@dataclass(frozen=True)
class BatchItem:
    """One result to sign."""

    result_id: str
    """The caller's identifier (journal key, echoed in the outcome)."""
    pdf: "bytes | Callable[[], bytes]" = field(repr=False)
    """The unsigned PDF, or a loader (keeps memory flat for large batches)."""
    stamp: StampText | None = None
    """Visible stamp text; ``None`` signs invisibly."""
    qr_url: str | None = None
    """URL in the stamp's QR code, e.g. ``{PUBLIC_BASE_URL}/v/{result_id}``."""

    def load_pdf(self) -> bytes:
        return self.pdf() if callable(self.pdf) else self.pdf


@dataclass(frozen=True)
class SignatureStep:
    """One signature applied to every document of the batch."""

    key_source: KeySource
    """Who signs."""
    level: PadesLevel
    """PAdES level of this signature."""
    field_name: str
    """Signature field name (unique per document)."""
    visible: bool = False
    """Draw the item's stamp on this signature."""
    reason: str | None = None
    """/Reason text, e.g. "Ký số kết quả giải quyết thủ tục hành chính"."""
    location: str | None = None
    """/Location text."""
    image: StampImage | None = None
    """Drawn at the signing block: the official's signature image, or the agency's seal image."""
    seal_over: str | None = None
    """Field of the earlier signature whose image this step's seal image covers a third of."""


def decree30_steps(official: KeySource, agency: KeySource, level: PadesLevel = PadesLevel.B_LTA,
                   signature_image: StampImage | None = None,
                   seal_image: StampImage | None = None) -> list[SignatureStep]:
    """The official's personal signature (with the visible stamp and their signature image), then
    the agency seal at ``level`` (default B-LTA), whose DSS and document timestamp also cover the
    first, its seal image over the official's signature image."""
    return [
        SignatureStep(official, PadesLevel.B_B, "Sig1-CanBo", visible=True,
                      reason="Ký duyệt kết quả giải quyết thủ tục hành chính", image=signature_image),
        SignatureStep(agency, level, "Sig2-CoQuan",
                      reason="Đóng dấu cơ quan (chữ ký số của cơ quan)", image=seal_image,
                      seal_over="Sig1-CanBo" if seal_image is not None else None),
    ]


@dataclass(frozen=True)
class SignerInfo:
    """Who made one signature of an outcome."""

    field_name: str
    """Signature field."""
    subject: str
    """Human-readable subject DN."""
    common_name: str
    """Subject CN."""
    organization: str | None
    """Subject O."""
    serial_number: int
    """Certificate serial."""
    sha256_fingerprint: str
    """Hex SHA-256 of the certificate DER."""
    level: PadesLevel
    """PAdES level applied."""


@dataclass(frozen=True)
class ItemOutcome:
    """Result of one item: either the signed PDF or an error (never an exception)."""

    result_id: str
    """The caller's identifier."""
    signed_pdf: bytes | None = field(repr=False)
    """Final PDF with every signature, or ``None`` on failure."""
    signers: tuple[SignerInfo, ...] = ()
    """The signatures applied, in order."""
    error: ItemError | None = None
    """Why the item failed."""

    @property
    def ok(self) -> bool:
        return self.error is None


def _signer_info(step: SignatureStep) -> SignerInfo:
    cert = step.key_source.identity().certificate
    native = cert.subject.native
    return SignerInfo(
        field_name=step.field_name, subject=cert.subject.human_friendly,
        common_name=native.get("common_name", ""), organization=native.get("organization_name"),
        serial_number=cert.serial_number, sha256_fingerprint=cert.sha256.hex(), level=step.level,
    )


class BatchSigner:
    """Signs batches of documents; holds only configuration (no per-batch state)."""

    def __init__(
        self,
        *,
        trust_services: TrustServices = TrustServices(),
        font: StampFont | None = None,
        placement: StampPlacement = StampPlacement(),
        trust_roots: Sequence[x509.Certificate] = (),
        workers: int | None = None,
        chunk_size: int = 32,
        sign_chunk_size: int = 256,
        executor: concurrent.futures.Executor | None = None,
    ):
        """
        :param font: pre-subset stamp font (build once with ``StampFont.load()``).
        :param trust_roots: anchors for validating signer/TSA certificates before
            embedding revocation data; defaults to the self-signed roots of the chains.
        :param workers: processes for PDF work (default: CPU count; 1 = in-process).
        :param executor: an existing executor to use instead of creating one per batch.
        """
        self.trust_services = trust_services
        self.font = font
        self.placement = placement
        self.trust_roots = tuple(trust_roots)
        self.workers = workers or os.cpu_count() or 1
        self.chunk_size = chunk_size
        self.sign_chunk_size = sign_chunk_size
        self.executor = executor

    # -- public --------------------------------------------------------------------

    def sign(self, items: Sequence[BatchItem], steps: Sequence[SignatureStep],
             journal: BatchJournal) -> Iterator[ItemOutcome]:
        """Run (or resume) the batch when iterated, yielding one outcome per item as soon as its
        last step is journaled: those an interrupted run finished first, then each finished
        chunk (so that the caller records them while the workers finish the next), the failed
        ones at the end. Only a chunk's PDFs are held at a time (memory stays flat).
        Batch-wide problems (TSA down, revoked certificate, key source refusing) raise a
        :class:`~signing.errors.SigningError`, possibly after some outcomes; per-item problems
        come back as failed outcomes."""
        self._check(items, steps)
        identities = [s.key_source.identity() for s in steps]  # here, not in the fetching thread
        infos = tuple(_signer_info(s) for s in steps)
        last = len(steps) - 1
        yielded: set[str] = set()
        states = journal.states(last)
        finished_before = [i.result_id for i in items if states.get(i.result_id) is ItemState.FINISHED]
        for rid in finished_before:
            yielded.add(rid)
            yield ItemOutcome(rid, journal.finished_pdf(last, rid), infos)
        executor = self.executor or self._new_executor()
        try:
            with concurrent.futures.ThreadPoolExecutor(1) as fetcher:
                trust = fetcher.submit(fetch_trust, steps, identities, self.trust_services, self.trust_roots)
                contexts = self._prepare_first(steps, items, journal, executor, trust)
            for index, (step, context) in enumerate(zip(steps, contexts)):
                following = (steps[index + 1], contexts[index + 1]) if index + 1 < len(steps) else None
                for finished in self._run_step(index, step, context, items, journal, executor, following):
                    if index == last:
                        for rid, pdf in finished:
                            yielded.add(rid)
                            yield ItemOutcome(rid, pdf, infos)
        finally:
            if executor is not self.executor:
                executor.shutdown()
        all_states = [journal.states(i) for i in range(len(steps))]
        for item in items:
            if item.result_id in yielded:
                continue
            error = _first_failure(item.result_id, all_states, journal)
            if error is not None:
                yield ItemOutcome(item.result_id, None, (), error)
            else:
                yield ItemOutcome(item.result_id, journal.finished_pdf(last, item.result_id), infos)

    def _prepare_first(self, steps, items, journal, executor, trust) -> list[StepContext]:
        """Prepare the first step while ``trust`` (the trust services' answers) is fetched, when that
        step needs none of it; nothing is signed before they have answered."""
        first = None if needs_trust(steps[:1]) else self._contexts(steps[:1], None)[0]
        if first is not None:
            self._prepare(0, steps[0], first, self._todo(0, items, journal), journal, executor)
        contexts = self._contexts(steps, trust.result())
        return [first or contexts[0], *contexts[1:]]

    def prepare(self, items: Sequence[BatchItem], steps: Sequence[SignatureStep], journal: BatchJournal) -> None:
        """Prepare the first step's documents only, so that its key holder can approve exactly their
        to-be-signed digests (``journal.pending_digests(0)``) before anything is signed; ``sign``
        then goes on from the journal."""
        self._check(items, steps)
        identities = [s.key_source.identity() for s in steps]
        context = self._contexts(steps, fetch_trust(steps, identities, self.trust_services, self.trust_roots))[0]
        executor = self.executor or self._new_executor()
        try:
            todo = [i for i in items if i.result_id not in journal.states(0)]
            self._prepare(0, steps[0], context, todo, journal, executor)
        finally:
            if executor is not self.executor:
                executor.shutdown()

    # -- steps ---------------------------------------------------------------------

    def _check(self, items: Sequence[BatchItem], steps: Sequence[SignatureStep]) -> None:
        if not steps:
            raise InvalidRequest("A batch needs at least one signature step.")
        if len({s.field_name for s in steps}) != len(steps):
            raise InvalidRequest("Signature steps need distinct field names.")
        if any(s.visible for s in steps) and self.font is None:
            raise InvalidRequest("A visible stamp needs a stamp font (StampFont.load()).",
                                 code="no_stamp_font")
        if any(s.level.needs_timestamp for s in steps) and not self.trust_services.tsa_url:
            raise InvalidRequest("B-T and above need a timestamp authority URL.", code="no_tsa")
        ids = [i.result_id for i in items]
        if len(set(ids)) != len(ids):
            raise InvalidRequest("Duplicate result ids in the batch.", code="duplicate_item")

    def _new_executor(self) -> concurrent.futures.Executor:
        return new_worker_pool(self.workers)

    def _contexts(self, steps, trust: TrustMaterial | None) -> list[StepContext]:
        return [step_context(s, trust if needs_trust([s]) else None, self.trust_services, self.placement,
                             self.font) for s in steps]

    def _todo(self, index: int, items, journal: BatchJournal) -> list[BatchItem]:
        """The items not yet in step ``index`` whose earlier steps all finished."""
        states = journal.states(index)
        earlier = [journal.states(i) for i in range(index)]
        return [i for i in items if i.result_id not in states
                and _first_failure(i.result_id, earlier, journal) is None]

    def _run_step(self, index, step, context, items, journal: BatchJournal, executor,
                  following=None) -> Iterator[list[tuple[str, bytes]]]:
        """Prepare what is left of ``step``, sign it, finish it, yielding each chunk's finished
        documents once journaled; ``following`` (the next step and its context): each finished
        chunk is prepared for it at once, in the same worker call."""
        self._prepare(index, step, context, self._todo(index, items, journal), journal, executor)
        # Documents signed by an interrupted run first, then each signing call's as soon as it is
        # journaled: the workers finish while the key signs the rest.
        resumed = [rid for rid, st in journal.states(index).items() if st is ItemState.SIGNED]
        signed = itertools.chain(resumed, itertools.chain.from_iterable(self._sign(index, step, journal)))
        yield from self._finish(index, context, signed, journal, executor,
                                following and (following[0], following[1], {i.result_id: i for i in items}))

    def _document(self, index: int, item: BatchItem, step: SignatureStep,
                  journal: BatchJournal) -> DocumentToSign:
        pdf = item.load_pdf() if index == 0 else journal.finished_pdf(index - 1, item.result_id)
        return DocumentToSign(item.result_id, pdf, item.stamp if step.visible else None, item.qr_url)

    def _prepare(self, index, step, context, todo, journal, executor):
        chunks = (todo[i:i + self.chunk_size] for i in range(0, len(todo), self.chunk_size))

        def submit(chunk):
            docs = [self._document(index, item, step, journal) for item in chunk]
            return executor.submit(prepare_documents, context, docs)

        for results in bounded_map(submit, chunks, 2 * self.workers):
            journal.save_prepared(index, [r for r in results if not isinstance(r, ItemError)])
            failed = [r for r in results if isinstance(r, ItemError)]
            if failed:
                journal.save_failed(index, failed)

    def _sign(self, index: int, step: SignatureStep, journal: BatchJournal) -> Iterator[list[str]]:
        """Sign every PREPARED digest under one authorisation; yield the ids of each signing call
        once its values are journaled."""
        pending = journal.pending_digests(index)
        if not pending:
            return
        key = step.key_source
        verify = signature_check(key.identity().certificate)
        with key.authorize([d for _, d in pending], "sha256") as authorization:
            for start in range(0, len(pending), self.sign_chunk_size):
                chunk = pending[start:start + self.sign_chunk_size]
                values = key.sign_digests(authorization, [d for _, d in chunk], "sha256")
                if len(values) != len(chunk):
                    raise KeySourceError("The key source returned the wrong number of signatures.")
                for (rid, digest), value in zip(chunk, values):
                    if not verify(value, digest):
                        raise KeySourceError(
                            f"The key source returned a signature for {rid} that does not "
                            "verify with its certificate.", code="bad_signature_value")
                journal.save_signatures(index, [(rid, v) for (rid, _), v in zip(chunk, values)])
                yield [rid for rid, _ in chunk]

    def _finish(self, index, context, signed_ids: Iterable[str], journal, executor,
                following=None) -> Iterator[list[tuple[str, bytes]]]:
        ids = iter(signed_ids)
        chunks = iter(lambda: list(itertools.islice(ids, self.chunk_size)), [])

        def submit(chunk):
            signed = journal.signed(index, chunk)
            if following is None:
                return executor.submit(finish_documents, context, signed)
            step, next_context, by_id = following
            docs = [DocumentToSign(rid, b"", by_id[rid].stamp if step.visible else None, by_id[rid].qr_url)
                    for rid in chunk]
            return executor.submit(finish_and_prepare, context, signed, next_context, docs)

        waiting = 0
        for results in bounded_map(submit, chunks, 2 * self.workers):
            results, prepared = results if following is not None else (results, ())
            waiting += self._save_finished(index, results, journal, prepared)
            yield [r for r in results if not isinstance(r, ItemError)]
        if waiting:
            raise TrustServiceError(
                f"{waiting} signed document(s) wait for the timestamp authority; run the batch "
                "again to finish them (they will not be signed again).", code="tsa_unavailable")

    @staticmethod
    def _save_finished(index, results, journal: BatchJournal, prepared=()) -> int:
        """Journal a finished chunk, with the next step's documents ``prepared`` from it in the same
        write; how many of its documents wait for the TSA."""
        done = [r for r in results if not isinstance(r, ItemError)]
        finished = {rid for rid, _ in done}
        ready = [p for p in prepared if not isinstance(p, ItemError) and p.result_id in finished]
        if done:
            journal.save_finished(index, done, ready)
        unprepared = [p for p in prepared if isinstance(p, ItemError)]
        if unprepared:
            journal.save_failed(index + 1, unprepared)
        # A TSA outage is not the document's fault: keep it SIGNED so a resumed batch
        # finishes it with the signature it already has.
        failed = [r for r in results if isinstance(r, ItemError) and r.code != TrustServiceError.code]
        if failed:
            journal.save_failed(index, failed)
        return sum(1 for r in results if isinstance(r, ItemError)) - len(failed)


def _first_failure(result_id: str, step_states: Sequence[dict], journal: BatchJournal) -> ItemError | None:
    """The error that stopped ``result_id`` in an earlier step, if any."""
    for step, states in enumerate(step_states):
        state = states.get(result_id)
        if state is ItemState.FAILED:
            return journal.failure(step, result_id)
        if state is not ItemState.FINISHED:
            return ItemError(result_id, "not_finished", f"Step {step} did not finish.")
    return None
