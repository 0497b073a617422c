"""A bounded schemathesis run over the whole OpenAPI document (SQLite and PostgreSQL): for every
operation a few generated requests, valid and invalid, sent anonymously and with a Bearer token,
with a fixed seed. It fails on any 5xx and on any answer the document does not describe (status,
content type, headers, body schema): the contract ``api.contract`` documents is the one sent."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)  # fmt: skip

from tests.factories import account, api_token, bearer, collection, load, make_record

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]  # fmt: skip
EXAMPLES = 2  # per operation, per generation mode, per caller
RUN = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
               suppress_health_check=list(HealthCheck), print_blob=False)  # fmt: skip


def _can_be_invalid(operation) -> bool:
    """Whether an operation has an input that some request could get wrong (a path string with no
    constraint cannot: hypothesis would search in vain)."""
    constrained = [p for p in operation.path_parameters if set(p.definition["schema"]) - {"type", "title"}]
    return bool(len(operation.query) or len(operation.body) or constrained)


@pytest.fixture
def schema(app, store):
    load(store, make_record(id="2601.00001", title="Attention for everyone", day="2026-01-14"),
         make_record(id="2601.00002", title="Sparse experts", day="2026-01-15"))  # fmt: skip
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_operation_answers_a_5xx_or_outside_its_documented_contract(schema, store):
    user = account(store, "fuzz@example.org")
    collection(store, user, "Fuzzed", "2601.00001")
    callers = {"anonymous": {}, "bearer": bearer(api_token(store, user))}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        modes = [schemathesis.GenerationMode.POSITIVE] + ([schemathesis.GenerationMode.NEGATIVE]
                                                         if _can_be_invalid(operation) else [])  # fmt: skip
        for mode in modes:

            @RUN
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                for headers in callers.values():
                    response = case.call(headers=headers)
                    case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                run()
            except Unsatisfiable:  # no invalid request can be sent for it (e.g. only an enum in the path)
                assert mode == schemathesis.GenerationMode.NEGATIVE, operation.label
