"""The emulator's HTTP face: Odoo's JSON-RPC envelope, JSON-2 (when emulating 19+), control routes.

Routes: ``POST /jsonrpc``; ``POST /web/webclient/version_info``; ``GET /web/version``;
``POST /json/2/<model>/<method>`` (only when the emulated version is 19 or later, as on real
servers); and, outside Odoo's namespace, ``/_emulator/{faults,latency,stats,snapshot}`` for tests
and the demo. Errors travel as Odoo does: HTTP 200 with ``error.data.name`` for JSON-RPC, 4xx/5xx
with ``{name, message, ...}`` for JSON-2; a ``None`` result omits the ``result`` key.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .errors import AccessDenied, EmulatorError
from .faults import Faults
from .latency import LatencyModel
from .service import HttpFault, OdooEmulator

__all__ = ["create_app"]

JSON_MIMETYPES = ("application/json", "application/json-rpc")
MAX_CONTENT_LENGTH = 128 * 1024 * 1024


def create_app(emulator: OdooEmulator | None = None, *, latency_scale: float = 0.0,
               persist_path: Path | str | None = None, version: str = "18.0", database: str | None = None,
               faults: Faults | None = None, workers: int = 3, seed: int | None = None) -> Starlette:
    """An ASGI app serving one emulated Odoo; pass ``emulator`` to share or inspect its state."""
    if emulator is None:
        kwargs: dict[str, Any] = {"version": version,
                                  "latency": LatencyModel(scale=latency_scale, workers=workers, seed=seed),
                                  "faults": faults or Faults(seed=seed)}
        if database:
            kwargs["database"] = database
        emulator = OdooEmulator.open(Path(persist_path) if persist_path else None, **kwargs)
    emu = emulator

    async def jsonrpc(request: Request) -> Response:
        return await _jsonrpc_call(request, emu, lambda params: emu.jsonrpc(params))

    async def version_info(request: Request) -> Response:
        async def get(params: dict[str, Any]) -> Any:
            return emu.version_info()
        return await _jsonrpc_call(request, emu, get)

    async def web_version(request: Request) -> Response:
        if emu.faults.mode == "down":
            return _down(emu)
        info = emu.version_info()
        return JSONResponse({"version_info": info["server_version_info"], "version": info["server_version"]})

    async def json2(request: Request) -> Response:
        if emu.faults.mode == "down":
            return _down(emu)
        if emu.major < 19:
            return PlainTextResponse("Not Found", status_code=404)
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        db_header = request.headers.get("x-odoo-database")
        try:
            body = await request.json() if await request.body() else {}
        except ValueError:
            return PlainTextResponse("Invalid JSON", status_code=400)
        if not isinstance(body, dict):
            return PlainTextResponse("The body must be a JSON object", status_code=400)
        try:
            if scheme.lower() != "bearer" or not token:
                raise AccessDenied("Missing or invalid Authorization header (bearer <API key>)")
            if db_header and db_header != emu.database:
                raise AccessDenied(f"Unknown database {db_header}")
            result = await emu.json2(token, request.path_params["model"], request.path_params["method"], body)
        except HttpFault as fault:
            return _http_fault(fault)
        except EmulatorError as exc:
            return JSONResponse(_error_data(exc), status_code=exc.json2_status)
        _maybe_flush(emu)
        return JSONResponse(result)

    async def faults_route(request: Request) -> Response:
        if request.method == "POST":
            try:
                emu.faults.update(await request.json())
            except (ValueError, KeyError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(emu.faults.describe())

    async def latency_route(request: Request) -> Response:
        if request.method == "POST":
            data = await request.json()
            if "scale" in data:
                emu.latency.scale = float(data["scale"])
            if "jitter" in data:
                emu.latency.jitter = float(data["jitter"])
        return JSONResponse({"scale": emu.latency.scale, "jitter": emu.latency.jitter,
                             "workers": emu.latency.workers})

    async def stats_route(request: Request) -> Response:
        return JSONResponse({"calls": dict(emu.counts),
                             "records": {m: len(t) for m, t in emu.db.tables.items()}})

    async def snapshot_route(request: Request) -> Response:
        emu.flush()
        return JSONResponse({"saved": bool(emu.persist_path), "path": str(emu.persist_path or "")})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        emu.flush()

    app = Starlette(routes=[
        Route("/jsonrpc", jsonrpc, methods=["POST"]),
        Route("/web/webclient/version_info", version_info, methods=["POST"]),
        Route("/web/version", web_version, methods=["GET"]),
        Route("/json/2/{model}/{method}", json2, methods=["POST"]),
        Route("/_emulator/faults", faults_route, methods=["GET", "POST"]),
        Route("/_emulator/latency", latency_route, methods=["GET", "POST"]),
        Route("/_emulator/stats", stats_route, methods=["GET"]),
        Route("/_emulator/snapshot", snapshot_route, methods=["POST"]),
    ], lifespan=lifespan)
    app.state.emulator = emu
    return app


async def _jsonrpc_call(request: Request, emu: OdooEmulator, handler: Any) -> Response:
    if emu.faults.mode == "down":
        return _down(emu)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in JSON_MIMETYPES:
        return PlainTextResponse(f"Bad Request: Invalid JSON request content type {content_type!r}",
                                 status_code=400)
    raw = await request.body()
    if len(raw) > MAX_CONTENT_LENGTH:
        return PlainTextResponse("Request Entity Too Large", status_code=413)
    try:
        payload = json.loads(raw)
    except ValueError:
        return PlainTextResponse("Bad Request: Invalid JSON data", status_code=400)
    if not isinstance(payload, dict):
        return PlainTextResponse("Bad Request: Invalid JSON data", status_code=400)
    request_id = payload.get("id")
    params = payload.get("params") or {}
    if not isinstance(params, dict):
        return _envelope(request_id, error=_error_payload(EmulatorError("params must be an object")))
    try:
        result = await handler(params)
    except HttpFault as fault:
        return _http_fault(fault)
    except EmulatorError as exc:
        return _envelope(request_id, error=_error_payload(exc))
    _maybe_flush(emu)
    return _envelope(request_id, result=result)


def _maybe_flush(emu: OdooEmulator) -> None:
    snapshotter = emu._snapshotter
    if snapshotter is not None:
        snapshotter.maybe_save(emu.db)


def _envelope(request_id: Any, *, result: Any = None, error: dict[str, Any] | None = None) -> Response:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id}
    if error is not None:
        body["error"] = error
    elif result is not None:
        body["result"] = result
    return Response(json.dumps(body, default=str), media_type="application/json")


def _error_data(exc: EmulatorError) -> dict[str, Any]:
    return {"name": exc.odoo_name, "message": exc.message, "arguments": [exc.message], "context": {},
            "debug": getattr(exc, "debug", "") or f"Traceback (most recent call last):\n{exc.odoo_name}: {exc.message}"}


def _error_payload(exc: EmulatorError) -> dict[str, Any]:
    return {"code": 200, "message": "Odoo Server Error", "data": _error_data(exc)}


def _down(emu: OdooEmulator) -> Response:
    status = emu.faults.down_status
    return PlainTextResponse(f"{status} Service Unavailable (emulated outage)", status_code=status)


def _http_fault(fault: HttpFault) -> Response:
    return PlainTextResponse(f"{fault.status} emulated gateway error", status_code=fault.status)
