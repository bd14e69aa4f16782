"""Check JSON against Amazon's SP-API models (../shared/spapi-models/models/<file>.json).

Generic over Swagger 2.0 (``definitions``, ``responses.<status>.schema``) and OpenAPI 3
(``components/schemas``, ``responses.<status>.content.application/json.schema``). ``$ref``s
resolve inside the model file. Amazon's models allow unknown properties; ``strict=True`` (the
default) forbids them on every object that lists its properties, so a misspelt field name fails
the check instead of passing silently. ``date-time`` strings must be ISO 8601.

When the models folder is missing, every helper calls ``pytest.skip`` saying so.

    from tests.contract.spapi.schema import validate_response, validate_request_body
    validate_response("ordersV0.json", "getOrder", body)                 # 200 by default
    validate_response("ordersV0.json", "getOrder", body, status=404)
    validate_request_body("ordersV0.json", "confirmShipment", payload)
"""

from __future__ import annotations

import copy
import functools
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

__all__ = [
    "MODELS_DIR",
    "load_model",
    "operation",
    "request_body_schema",
    "response_schema",
    "validate",
    "validate_request_body",
    "validate_response",
]



def _models_dir() -> Path:
    """``shared/spapi-models/models`` beside the checkout, or beside a folder above it (a git
    worktree under ``wt/`` sees the same models as the main checkout)."""
    here = Path(__file__).resolve()
    for parent in here.parents[3:]:
        candidate = parent / "shared" / "spapi-models" / "models"
        if candidate.is_dir():
            return candidate
    return here.parents[4] / "shared" / "spapi-models" / "models"


MODELS_DIR = _models_dir()


def _require(model_file: str) -> Path:
    path = MODELS_DIR / model_file
    if not MODELS_DIR.is_dir():
        pytest.skip(f"Amazon's SP-API models are not at {MODELS_DIR}: contract checks skipped")
    if not path.is_file():
        pytest.skip(f"Amazon's model {model_file} is not in {MODELS_DIR}: contract check skipped")
    return path


@functools.cache
def _load(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def load_model(model_file: str) -> dict[str, Any]:
    """The parsed model file (cached)."""
    return _load(str(_require(model_file)))


def operation(model_file: str, operation_id: str) -> dict[str, Any]:
    """The operation object (with ``_method`` and ``_path`` added) named ``operation_id``."""
    model = load_model(model_file)
    for path, item in model.get("paths", {}).items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return {**op, "_method": method.upper(), "_path": path}
    raise KeyError(f"{model_file} has no operation {operation_id!r}")


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if "properties" in out and "additionalProperties" not in out and not any(
                k in out for k in ("allOf", "anyOf", "oneOf")):
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def _nullable(node: Any) -> Any:
    """OpenAPI 3 ``nullable: true`` → JSON Schema type lists."""
    if isinstance(node, dict):
        out = {k: _nullable(v) for k, v in node.items()}
        if out.pop("nullable", False) and "type" in out:
            out["type"] = [out["type"], "null"] if isinstance(out["type"], str) else [
                *out["type"], "null"]
        return out
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


@functools.cache
def _root(model_file: str, strict: bool) -> dict[str, Any]:
    model = load_model(model_file)
    root: dict[str, Any] = {}
    if "definitions" in model:
        root["definitions"] = model["definitions"]
    if "components" in model:
        root["components"] = {"schemas": model["components"].get("schemas", {})}
    root = _nullable(copy.deepcopy(root))
    return _strict(root) if strict else root


def _with_root(schema: dict[str, Any], model_file: str, strict: bool) -> dict[str, Any]:
    root = _root(model_file, strict)
    body = _nullable(copy.deepcopy(schema))
    return {**root, **(_strict(body) if strict else body)}


def response_schema(model_file: str, operation_id: str, status: int | str = 200, *,
                    strict: bool = True) -> dict[str, Any] | None:
    """The JSON Schema of the response body (None when the status has no body, e.g. 204)."""
    op = operation(model_file, operation_id)
    responses = op.get("responses", {})
    resp = responses.get(str(status)) or responses.get("default")
    if resp is None:
        raise KeyError(f"{model_file} {operation_id} declares no response {status}")
    schema = resp.get("schema")
    if schema is None and "content" in resp:
        schema = resp["content"].get("application/json", {}).get("schema")
    return None if schema is None else _with_root(schema, model_file, strict)


def request_body_schema(model_file: str, operation_id: str, *, strict: bool = True
                        ) -> dict[str, Any]:
    op = operation(model_file, operation_id)
    for param in op.get("parameters", []):
        if param.get("in") == "body":
            return _with_root(param["schema"], model_file, strict)
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    if "schema" in body:
        return _with_root(body["schema"], model_file, strict)
    raise KeyError(f"{model_file} {operation_id} takes no JSON body")


_formats = jsonschema.FormatChecker()


@_formats.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if "T" not in value:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def validate(instance: Any, schema: dict[str, Any]) -> None:
    """AssertionError listing every violation (path: message) when ``instance`` does not fit."""
    validator = jsonschema.Draft4Validator(schema, format_checker=_formats)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"  {'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
                 for e in errors[:20]]
        raise AssertionError(f"{len(errors)} schema violation(s):\n" + "\n".join(lines))


def validate_response(model_file: str, operation_id: str, body: Any, status: int | str = 200, *,
                      strict: bool = True) -> None:
    """Assert that ``body`` is a valid response of ``operation_id`` with ``status``."""
    schema = response_schema(model_file, operation_id, status, strict=strict)
    if schema is None:
        assert body in (None, b"", ""), f"{operation_id} {status} has no body, got {body!r}"
        return
    validate(body, schema)


def validate_request_body(model_file: str, operation_id: str, body: Any, *,
                          strict: bool = True) -> None:
    validate(body, request_body_schema(model_file, operation_id, strict=strict))
