"""Check requests our SP-API client builds against Amazon's own models (Swagger 2.0 files).

``check_request(models_dir, spec, request)`` asserts that the request's method and path match the
operation in Amazon's model, every query parameter is declared there with a valid value (types,
enums, comma-separated arrays, date-times), required parameters are present, and the JSON body
validates against the operation's body schema. Also a small harness: a client on an
``httpx.MockTransport`` that records every request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema  # type: ignore[import-untyped]

from amazon_odoo_sync.amazon.client import SpApiClient
from amazon_odoo_sync.amazon.governor import InMemoryRateGovernor
from amazon_odoo_sync.amazon.lwa import LwaCredentials
from amazon_odoo_sync.amazon.usage_plans import OperationSpec
from amazon_odoo_sync.clock import FakeClock
from amazon_odoo_sync.config import SpapiConfig

__all__ = ["CREDENTIALS", "Recorder", "check_request", "make_client"]

CREDENTIALS = LwaCredentials(client_id="amzn1.application-oa2-client.test", client_secret="s3cr3t-client",
                             refresh_token="Atzr|s3cr3t-refresh")
TOKEN_URL = "https://lwa.test/auth/o2/token"
EU = "https://spapi-eu.test"


@cache
def _model(models_dir: Path, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((models_dir / "models" / name).read_text())
    return data


def _parameters(model: dict[str, Any], path_item: dict[str, Any], op: dict[str, Any]) -> list[dict[str, Any]]:
    params = []
    for param in path_item.get("parameters", []) + op.get("parameters", []):
        if "$ref" in param:
            param = model["parameters"][param["$ref"].split("/")[-1]]
        params.append(param)
    return params


def _check_scalar(name: str, value: str, schema: dict[str, Any]) -> None:
    kind = schema.get("type", "string")
    if kind == "integer":
        number = int(value)
        assert schema.get("minimum", number) <= number <= schema.get("maximum", number), (name, value)
    elif kind == "number":
        float(value)
    elif kind == "boolean":
        assert value in ("true", "false"), f"{name}: boolean must be true/false, got {value!r}"
    if "enum" in schema:
        assert value in schema["enum"], f"{name}: {value!r} not in {schema['enum']}"
    if schema.get("format") == "date-time":
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value), (name, value)
        datetime.fromisoformat(value.replace("Z", "+00:00"))


def check_request(models_dir: Path, spec: OperationSpec, request: httpx.Request) -> None:
    """Assert that ``request`` is a valid call of ``spec`` according to Amazon's model."""
    model = _model(models_dir, spec.model)
    path_item = model["paths"][spec.path]
    op = path_item[spec.method.lower()]
    assert op["operationId"] == spec.operation_id
    assert request.method == spec.method
    pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(spec.path)) + "$"
    raw_path = request.url.raw_path.split(b"?")[0].decode()  # still percent-encoded: one segment each
    match = re.match(pattern, raw_path)
    assert match, f"{raw_path} does not match {spec.path}"
    params = _parameters(model, path_item, op)
    for param in params:
        if param["in"] == "path":
            assert match.group(param["name"]), param["name"]
    query = dict(request.url.params)
    declared = {p["name"]: p for p in params if p["in"] == "query"}
    unknown = set(query) - set(declared)
    assert not unknown, f"{spec.key}: query parameters not in Amazon's model: {sorted(unknown)}"
    for name, param in declared.items():
        if param.get("required"):
            assert name in query, f"{spec.key}: required query parameter {name} missing"
        if name not in query:
            continue
        if param.get("type") == "array":
            items = query[name].split(",")
            assert len(items) <= param.get("maxItems", len(items)), name
            assert len(items) >= param.get("minItems", 0), name
            for item in items:
                _check_scalar(name, item, param.get("items", {}))
        else:
            _check_scalar(name, query[name], param)
    bodies = [p for p in params if p["in"] == "body"]
    if bodies:
        assert request.content, f"{spec.key}: a body is required"
        schema = dict(bodies[0]["schema"])
        schema["definitions"] = model["definitions"]
        jsonschema.Draft4Validator(schema).validate(json.loads(request.content))
    else:
        assert not request.content, f"{spec.key}: this operation takes no body"


class Recorder:
    """A MockTransport handler: LWA answers with tokens; SP-API answers from ``routes``."""

    def __init__(self, respond: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.token_requests: list[httpx.Request] = []
        self.respond = respond or (lambda request: httpx.Response(200, json={}))
        self.issued = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            self.token_requests.append(request)
            self.issued += 1
            return httpx.Response(200, json={"access_token": f"Atza|token-{self.issued}",
                                             "token_type": "bearer", "expires_in": 3600})
        self.requests.append(request)
        return self.respond(request)


def make_client(recorder: Recorder, clock: FakeClock | None = None, **kwargs: Any) -> SpApiClient:
    clock = clock or FakeClock()
    settings = SpapiConfig(token_url=TOKEN_URL, endpoints={"NA": "https://spapi-na.test", "EU": EU,
                                                           "FE": "https://spapi-fe.test"},
                           circuit_failure_threshold=3, circuit_reset_seconds=30)
    kwargs.setdefault("governor", InMemoryRateGovernor(clock=clock))
    return SpApiClient(account="acme-eu", region="EU", credentials=CREDENTIALS, settings=settings,
                       seller_id="A2SELLER", transport=httpx.MockTransport(recorder), clock=clock, **kwargs)
