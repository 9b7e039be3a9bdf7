"""PAdES signing engine over pyHanko: levels B-B..B-LTA, visible Vietnamese stamps, key
sources behind one interface, and a resumable batch pipeline. Plain Python: no Flask, no
database (the service implements :class:`signing.journal.BatchJournal` over its own).

Typical use (what ``POST /api/v1/signing-batches`` runs)::

    from signing.pipeline import BatchItem, BatchSigner, decree30_steps, new_worker_pool
    from signing.profiles import PadesLevel, TrustServices
    from signing.stamp import StampFont, StampText, verification_url

    signer = BatchSigner(trust_services=TrustServices(tsa_url=pki.tsa_url),
                         font=StampFont.load(),            # once per process
                         executor=new_worker_pool(2))      # once per process
    items = [BatchItem(r.id, r.pdf_bytes, StampText(official_name, agency_name),
                       verification_url(PUBLIC_BASE_URL, r.id)) for r in results]
    for outcome in signer.sign(items, decree30_steps(official_key, agency_key), journal):
        ...  # outcome.signed_pdf / outcome.signers, or outcome.error (code, message)

Key sources: :mod:`adapters.keys` (PKCS#12, PKCS#11, CSC v2). One file:
:func:`signing.operator.sign_file` or :func:`adapters.keys.sign_file_with_spec`.
"""
