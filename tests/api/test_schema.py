"""Property-based contract test: schemathesis generates requests from the OpenAPI schema (valid and
invalid dates, periods, missing parameters, credit applications, car listings and freelance gigs with any field valid
or not…) and sends them over HTTP to the running service.

Every answer must: not be a 5xx, have a status code the schema documents, the documented content type,
a body that matches the documented response model, and invalid input must be rejected with a 4xx.
Bounded: at most MAX_EXAMPLES cases per operation and generation mode — 10 runs, a few hundred requests,
seconds. Scoring an application costs the model ~0.1 s of CPU, so valid applications get fewer cases.

(The operations are listed here, and a test checks the list against the schema, because the schema is
fetched from the running server: schemathesis' lazy pytest loader does not work with pytest 9 yet.)
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 100
FEWER_EXAMPLES = {
    ("POST", "/credit/score", GenerationMode.POSITIVE): 25,
    ("POST", "/credit/score", GenerationMode.NEGATIVE): 30,  # 121-field bodies: slow to generate
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
OPERATIONS = [
    ("GET", "/predictions/combined"),
    ("GET", "/predictions/{date}"),
    ("GET", "/version"),
    ("GET", "/health"),
    ("POST", "/credit/score"),
    ("GET", "/credit/model"),
    ("GET", "/credit/importance"),
    ("GET", "/credit/form"),
    ("GET", "/credit/monitoring"),
    ("POST", "/cars/estimate"),
    ("POST", "/freelance/estimate"),
]
# Only these can receive invalid input.
WITH_INPUT = [
    ("GET", "/predictions/combined"),
    ("GET", "/predictions/{date}"),
    ("POST", "/credit/score"),
    ("POST", "/cars/estimate"),
    ("POST", "/freelance/estimate"),
]
RUNS = [(*operation, GenerationMode.POSITIVE) for operation in OPERATIONS] + [
    (*operation, GenerationMode.NEGATIVE) for operation in WITH_INPUT
]


def test_the_schema_lists_exactly_the_tested_operations(openapi_schema) -> None:
    operations = [result.ok() for result in openapi_schema.get_all_operations()]
    assert sorted((op.method.upper(), op.path) for op in operations) == sorted(OPERATIONS)


@pytest.mark.parametrize(
    ("method", "path", "mode"), RUNS, ids=[f"{mode}-{method}-{path}" for method, path, mode in RUNS]
)
def test_every_answer_follows_the_schema(openapi_schema, method: str, path: str, mode: GenerationMode) -> None:
    operation = openapi_schema[path][method]
    sent = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=FEWER_EXAMPLES.get((method, path, mode), MAX_EXAMPLES),
        deadline=None,
        database=None,  # no replay of earlier failures: every run draws afresh (CI and local alike)
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        response = case.call_and_validate(checks=CHECKS, timeout=10)
        sent.append(response.status_code)

    run()
    assert sent, "schemathesis sent no request"
