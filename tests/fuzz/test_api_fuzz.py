"""schemathesis against /api/openapi.json, served for real on a loopback port: no answer may be a
5xx, and every answer must match what the document says (status, content type, body schema), and
invalid input must be refused. Case systems are called with a fresh bearer assertion per request
(unique jti), the wallet with citizen1's session, everything else with official1's session and
CSRF token. Path parameters are sometimes real result ids, uploads sometimes real PDFs (the demo
results, and foreign signed PDFs from the DSS corpus), and intake metadata sometimes valid (a batch
then carries one result), so the
fuzzer gets past the first refusal into the code behind it."""
from __future__ import annotations

import collections
import json
import os

import schemathesis
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import OpenAPIV31SpecValidator
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
# Imported here, at collection, rather than by `from_url` inside the test: pytest rewrites a plugin's
# modules as they are imported, and CPython 3.11.7 can fail compiling one ("AST constructor recursion
# depth mismatch") while the served app's threads run.
from schemathesis.specs.openapi import schemas as _openapi_schemas  # noqa: F401

from tests.corpus import DSS_PADES

from ..conftest import official_principal
from .conftest import citizen_principal, open_session
from wallet_service.services import services

CORPUS = DSS_PADES
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
EXAMPLES = int(os.environ.get("WALLET_FUZZ_EXAMPLES", "30"))
"""Per operation and generation mode: the suite's 30 take about 40 s on 2 cores (60 took up to 80 s on a
slow machine, the suite's longest test); `make test-scale` runs 200."""
CITIZEN1 = "022186001234"


def valid_metadata(agency_codes, citizen_ids):
    """Intake metadata that passes every format check, with free text anywhere the format allows."""
    text = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=80)
    return st.fixed_dictionaries(
        {
            "dossier_code": st.tuples(st.sampled_from(agency_codes), st.integers(0, 9999)).map(lambda a: f"{a[0]}-251120-{a[1]:04d}"),
            "procedure_code": st.just("1.011442.000.00.00.H38"),
            "procedure_name": text,
            "citizen_id": st.sampled_from(citizen_ids),
            "citizen_name": text,
            "title": text,
            "agency_code": st.sampled_from(agency_codes),
        },
        optional={"issued_on": st.dates().map(str), "commune_code": st.just("06688"),
                  "extra": st.dictionaries(st.text(max_size=10), st.text(max_size=20) | st.integers(), max_size=3)},
    )


def test_openapi_document_is_valid_3_1(client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    errors = [f"{'/'.join(map(str, e.path))}: {e.message}" for e in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []


def test_no_operation_answers_5xx_or_off_its_description(served, app, case_system, demo_results):
    schema = schemathesis.openapi.from_url(f"{served}/api/openapi.json")
    official = open_session(app, official_principal("official1"))
    citizen = open_session(app, citizen_principal(CITIZEN1))
    ids = [r.id for r in demo_results.values()]
    store = services(app).documents
    pdfs = [store.get(r.original_sha256) for r in list(demo_results.values())[:2]]
    pdfs += [(CORPUS / name).read_bytes() for name in ("PAdES-LT.pdf", "doc-firmado-T.pdf")]
    metadata = valid_metadata(sorted({r.agency.code for r in demo_results.values()}),
                              sorted({r.citizen.personal_id for r in demo_results.values()}))
    failures: list[str] = []
    answered: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)

    def headers_and_cookies(case) -> dict:
        if any("bearerAssertion" in s for s in case.operation.definition.raw.get("security") or []):
            return {"headers": case_system.headers()}
        person = citizen if case.path.startswith("/api/v1/wallet/") else official
        return {"headers": {"X-CSRFToken": person.csrf_token}, "cookies": person.cookies}

    for loaded in schema.get_all_operations():
        operation = loaded.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases = [operation.as_strategy(mode)]
            path_names = [p.name for p in operation.path_parameters]
            if path_names:
                cases.append(st.sampled_from(ids).flatmap(
                    lambda i, mode=mode: operation.as_strategy(mode, path_parameters={path_names[0]: i})))

            # Only positive cases are made more realistic: a negative one must stay invalid.
            realistic = mode is GenerationMode.POSITIVE

            @given(case=st.one_of(cases), pdf=st.sampled_from([None, *pdfs]), meta=st.none() | metadata)
            @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            def exercise(case, pdf, meta):
                if realistic and isinstance(case.body, dict):
                    batch = isinstance(case.body.get("metadata"), list)  # POST /api/v1/result-batches: one result
                    if pdf is not None and "document" in case.body:
                        case.body["document"] = [pdf] if batch else pdf
                    if meta is not None and "metadata" in case.body:
                        case.body["metadata"] = [meta] if batch else meta
                response = case.call(**headers_and_cookies(case))
                answered[f"{operation.label} {mode.value}"][response.status_code] += 1
                case.validate_response(response, checks=CHECKS)

            try:
                exercise()
            except Unsatisfiable:
                if mode is GenerationMode.POSITIVE:
                    raise
                # nothing of this operation can be made invalid (e.g. only a free-text path parameter)
            except Exception as exc:  # noqa: BLE001 - each operation's findings are collected, then reported together
                failures.append(f"{operation.label} ({mode.value}):\n{exc}")
            except BaseExceptionGroup as group:  # schemathesis reports several distinct failures as a group
                failures.append(f"{operation.label} ({mode.value}):\n{group}")

    print(json.dumps({k: dict(v) for k, v in answered.items()}, indent=1))
    assert not failures, "\n\n".join(failures)
    # The fuzzer got past the first refusals: these answers need real ids, real PDFs, valid metadata.
    assert answered["POST /api/v1/results positive"][201] > 0
    assert answered["POST /api/v1/result-batches positive"][201] > 0
    assert answered["GET /api/v1/results/{result_id} positive"][200] > 0
    assert answered["POST /api/v1/verify positive"][200] > 0
