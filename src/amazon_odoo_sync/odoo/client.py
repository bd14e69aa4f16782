"""Async client for Odoo's external API: JSON-RPC (Odoo 16-18) and JSON-2 (Odoo 19+).

One interface, two wire protocols, chosen from ``common.version`` (``protocol="auto"``):

* JSON-RPC: ``POST /jsonrpc`` with ``object.execute_kw(db, uid, key, model, method, args, kwargs)``.
  Record methods take the ids as ``args[0]``; ``None`` results come without a ``result`` key.
* JSON-2: ``POST /json/2/<model>/<method>`` with ``Authorization: bearer <key>`` and
  ``X-Odoo-Database``; the body holds ``ids``, ``context`` and *named* parameters only, so the
  positional arguments of the well-known ORM methods are named here (:data:`POSITIONAL_NAMES`).

:meth:`OdooClient.call` is the core: ``call(model, method, *args, ids=None, context=None, **kw)``.
The helpers make the efficient call the easy one: :meth:`~OdooClient.create` sends many records in
one call, :meth:`~OdooClient.search_read` pages through results with only the fields asked for,
:meth:`~OdooClient.write_many` groups equal values into one ``write`` each, and
:meth:`~OdooClient.call_method` runs a public method on many ids at once.

Every call goes through the capacity governor when one is given (:mod:`.governor`), is counted
in ``aos_odoo_calls_total`` and timed in ``aos_odoo_call_seconds``. Errors arrive as
:mod:`amazon_odoo_sync.exceptions` (see :mod:`.errors`). The API key never reaches a log line,
an exception or ``repr``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

import httpx

from ..circuit import left_open
from ..exceptions import (
    AuthorizationError,
    ConfigurationError,
    InvalidInputError,
    OdooBusyError,
    SyncError,
    TransientError,
)
from ..logs import get_logger
from ..metrics import ODOO_CALLS, ODOO_LATENCY
from .circuit import OUTAGE_STATUSES, is_outage_error
from .errors import from_error_data, from_http_status, from_transport_error
from .values import chunked

if TYPE_CHECKING:
    from .circuit import OdooCircuit
    from .governor import Governor

__all__ = ["POSITIONAL_NAMES", "OdooClient", "OdooVersion", "Protocol"]

Protocol = Literal["jsonrpc", "json2"]

_log = get_logger(__name__)

#: Names of the positional parameters (after the ids) of the ORM methods, for JSON-2, which
#: accepts named parameters only. Methods not listed must be called with keyword arguments.
POSITIONAL_NAMES: dict[str, tuple[str, ...]] = {
    "create": ("vals_list",),
    "search": ("domain",),
    "search_count": ("domain",),
    "search_read": ("domain", "fields"),
    "search_fetch": ("domain", "field_names"),
    "read": ("fields",),
    "write": ("vals",),
    "copy": ("default",),
    "name_search": ("name",),
    "name_create": ("name",),
    "read_group": ("domain", "fields", "groupby"),
    "fields_get": ("allfields", "attributes"),
    "default_get": ("fields_list",),
    "check_access_rights": ("operation",),
    "check_access": ("operation",),
    "has_access": ("operation",),
    "exists": (),
    "unlink": (),
    "load": ("fields", "data"),
}

_SAAS_MAJOR = re.compile(r"(\d+)")


class OdooVersion:
    """What ``common.version`` said, with the major version parsed ("saas~18" gives 18)."""

    __slots__ = ("info", "major", "raw", "server_version")

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = dict(raw)
        self.server_version = str(raw.get("server_version") or raw.get("version") or "")
        info = raw.get("server_version_info") or raw.get("version_info") or []
        self.info = list(info)
        major: int | None = None
        first = self.info[0] if self.info else self.server_version
        match = _SAAS_MAJOR.search(str(first))
        if match:
            major = int(match.group(1))
        if major is None:
            raise TransientError(f"Odoo reported an unreadable version: {self.server_version!r}",
                                 system="odoo", operation="common.version")
        self.major = major

    def __repr__(self) -> str:
        return f"OdooVersion({self.server_version!r}, major={self.major})"


class OdooClient:
    """Async, pooled client for one Odoo database, authenticated by an API key.

    Use as ``async with OdooClient(...) as odoo:``; ``transport`` is injected in tests
    (``httpx.MockTransport``, ``httpx.ASGITransport`` for the emulator). ``context`` is a default
    context merged under every call's own (e.g. ``{"tracking_disable": True}``).
    """

    def __init__(
        self,
        url: str,
        database: str,
        user: str,
        api_key: str,
        *,
        protocol: Literal["auto", "jsonrpc", "json2"] = "auto",
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 60.0,
        governor: Governor | None = None,
        context: Mapping[str, Any] | None = None,
        max_connections: int = 32,
        circuit: OdooCircuit | None = None,
    ) -> None:
        if not url:
            raise ConfigurationError("the Odoo URL is empty", field="odoo.url")
        if not api_key:
            raise ConfigurationError("no Odoo API key (run `amazon-odoo-sync odoo set-key` or set "
                                     "AOS_ODOO__API_KEY)", field="odoo.api_key")
        self.url = url.rstrip("/")
        self.database = database
        self.user = user
        self.__api_key = api_key
        self._requested_protocol = protocol
        self._protocol: Protocol | None = None if protocol == "auto" else protocol
        self._governor = governor
        self._circuit = circuit
        self._default_context = dict(context or {})
        self._version: OdooVersion | None = None
        self._uid: int | None = None
        self._ids = itertools.count(1)
        self._setup_lock = asyncio.Lock()  # one version/authenticate call, not one per task
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            limits=httpx.Limits(max_connections=max_connections,
                                max_keepalive_connections=max_connections),
            headers={"User-Agent": "amazon-odoo-sync"},
        )

    # -- lifecycle --------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:  # never the key
        return f"OdooClient(url={self.url!r}, database={self.database!r}, user={self.user!r})"

    @property
    def instance(self) -> str:
        """Key of this Odoo instance for the governor and metrics (no credentials)."""
        return f"{self.url}/{self.database}"

    # -- version, protocol, authentication --------------------------------------------------

    async def version(self) -> OdooVersion:
        """``common.version`` (cached); falls back to ``GET /web/version`` where JSON-RPC is gone."""
        if self._version is not None:
            return self._version
        async with self._setup_lock:
            if self._version is not None:
                return self._version
            try:
                raw = await self._jsonrpc("common", "version", [], operation="common.version")
            except SyncError as exc:
                if exc.status_code not in (404, 405, 410):
                    raise
                raw = await self._get_json("/web/version", operation="web.version")
            if not isinstance(raw, Mapping):
                raise TransientError("Odoo's version answer is not an object", system="odoo",
                                     operation="common.version")
            self._version = OdooVersion(raw)
            return self._version

    async def protocol(self) -> Protocol:
        """The wire protocol in use: as configured, or JSON-2 from Odoo 19 on."""
        if self._protocol is None:
            major = (await self.version()).major
            self._protocol = "json2" if major >= 19 else "jsonrpc"
        return self._protocol

    async def authenticate(self) -> int:
        """The user id the API key belongs to (cached). Refused credentials: AuthorizationError."""
        if self._uid is not None:
            return self._uid
        protocol = await self.protocol()
        async with self._setup_lock:
            if self._uid is None:
                self._uid = await self._authenticate(protocol)
        return self._uid

    async def _authenticate(self, protocol: Protocol) -> int:
        if protocol == "jsonrpc":
            uid = await self._jsonrpc("common", "authenticate",
                                      [self.database, self.user, self.__api_key, {}],
                                      operation="common.authenticate")
        else:
            ids = await self._json2("res.users", "search",
                                    {"domain": [["login", "=", self.user]], "limit": 1})
            uid = ids[0] if isinstance(ids, list) and ids else False
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise AuthorizationError(f"Odoo refused the API key for user {self.user!r} on database "
                                     f"{self.database!r}", system="odoo", operation="authenticate")
        return uid

    # -- the core call ----------------------------------------------------------------------

    async def call(self, model: str, method: str, *args: Any, ids: Sequence[int] | int | None = None,
                   context: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """Call ``model.method`` on ``ids`` (record methods) with ``args``/``kwargs``.

        ``args`` are the positional parameters after the ids (``vals_list`` for ``create``,
        ``domain`` for ``search``...); on JSON-2 they are named from :data:`POSITIONAL_NAMES`,
        and other methods then need keyword arguments. Returns Odoo's result (``None`` when the
        method returned nothing).
        """
        merged = {**self._default_context, **(context or {})}
        operation = f"{model}.{method}"
        if method.startswith("_"):
            raise ConfigurationError(f"{operation}: private methods cannot be called remotely")
        protocol = await self.protocol()
        if protocol == "jsonrpc":
            positional: list[Any] = []
            if ids is not None:
                positional.append(list(ids) if not isinstance(ids, int) else ids)
            positional.extend(args)
            options = dict(kwargs)
            if merged:
                options["context"] = merged
            return await self._governed(model, method, self._execute_kw_raw(
                model, method, positional, options), records=_records(method, ids, args))
        body = dict(kwargs)
        if args:
            names = POSITIONAL_NAMES.get(method)
            if names is None or len(args) > len(names):
                raise ConfigurationError(
                    f"{operation}: JSON-2 takes named parameters only; pass keyword arguments")
            for name, value in zip(names, args, strict=False):
                if name in body:
                    raise ConfigurationError(f"{operation}: {name} given twice")
                body[name] = value
        if ids is not None:
            body["ids"] = [ids] if isinstance(ids, int) else list(ids)
        if merged:
            body["context"] = merged
        return await self._governed(model, method, self._json2_raw(model, method, body),
                                    records=_records(method, ids, args))

    async def execute_kw(self, model: str, method: str, args: Sequence[Any],
                         kwargs: Mapping[str, Any] | None = None) -> Any:
        """JSON-RPC ``object.execute_kw`` as is (ids, if any, are ``args[0]``).

        On JSON-2 the first argument of a record method is taken as the ids, the rest named.
        """
        options = dict(kwargs or {})
        context = options.pop("context", None)
        if await self.protocol() == "json2" and args and method not in _MODEL_METHODS:
            return await self.call(model, method, *args[1:], ids=args[0], context=context, **options)
        return await self.call(model, method, *args, context=context, **options)

    # -- helpers that make the efficient call the easy one -----------------------------------

    async def create(self, model: str, vals_list: Sequence[Mapping[str, Any]], *,
                     context: Mapping[str, Any] | None = None,
                     chunk_size: int | None = None) -> list[int]:
        """Create many records in one call (or one per ``chunk_size``); ids in input order."""
        if not vals_list:
            return []
        created: list[int] = []
        for batch in chunked([dict(v) for v in vals_list], chunk_size or len(vals_list)):
            result = await self.call(model, "create", batch, context=context)
            created.extend(_as_id_list(result, f"{model}.create"))
        return created

    async def search(self, model: str, domain: Sequence[Any], *, limit: int | None = None,
                     offset: int = 0, order: str | None = None,
                     context: Mapping[str, Any] | None = None) -> list[int]:
        options: dict[str, Any] = {}
        if limit is not None:
            options["limit"] = limit
        if offset:
            options["offset"] = offset
        if order:
            options["order"] = order
        result = await self.call(model, "search", list(domain), context=context, **options)
        return _as_id_list(result, f"{model}.search")

    async def search_count(self, model: str, domain: Sequence[Any], *,
                           context: Mapping[str, Any] | None = None) -> int:
        return int(await self.call(model, "search_count", list(domain), context=context))

    async def iter_search_read(self, model: str, domain: Sequence[Any], fields: Sequence[str], *,
                               limit: int | None = None, order: str | None = None,
                               chunk_size: int = 2000,
                               context: Mapping[str, Any] | None = None
                               ) -> AsyncIterator[list[dict[str, Any]]]:
        """Pages of ``search_read`` results, ``chunk_size`` records per call.

        Without an ``order`` (or with ``"id"``), pages follow ``id > last id`` so records created
        while paging never shift a page; with another order, ``offset`` pages are used.
        """
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        wanted = list(dict.fromkeys([*fields, "id"]))
        keyset = order is None or order.strip().lower() in ("id", "id asc")
        fetched = 0
        last_id = 0
        while limit is None or fetched < limit:
            page_size = chunk_size if limit is None else min(chunk_size, limit - fetched)
            page_domain = list(domain)
            options: dict[str, Any] = {"fields": wanted, "limit": page_size}
            if keyset:
                if last_id:
                    page_domain = [("id", ">", last_id), *page_domain]
                options["order"] = "id"
            else:
                options["order"] = order
                if fetched:
                    options["offset"] = fetched
            rows = await self.call(model, "search_read", page_domain, context=context, **options)
            if not isinstance(rows, list):
                raise TransientError(f"{model}.search_read returned {type(rows).__name__}",
                                     system="odoo", operation=f"{model}.search_read")
            if not rows:
                return
            fetched += len(rows)
            last_id = max(int(row["id"]) for row in rows)
            yield rows
            if len(rows) < page_size:
                return

    async def search_read(self, model: str, domain: Sequence[Any], fields: Sequence[str], *,
                          limit: int | None = None, order: str | None = None,
                          chunk_size: int = 2000,
                          context: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """All matching records (only ``fields`` plus ``id``), fetched ``chunk_size`` at a time."""
        rows: list[dict[str, Any]] = []
        async for page in self.iter_search_read(model, domain, fields, limit=limit, order=order,
                                                chunk_size=chunk_size, context=context):
            rows.extend(page)
        return rows

    async def read(self, model: str, ids: Iterable[int], fields: Sequence[str], *,
                   chunk_size: int = 2000, load: str | None = "_classic_read",
                   context: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Read ``ids`` in chunks. Odoo drops missing ids silently; so does this (compare ids).

        ``load=None`` returns many2one values as bare ids instead of ``[id, name]``.
        """
        rows: list[dict[str, Any]] = []
        unique = list(dict.fromkeys(int(i) for i in ids))
        for batch in chunked(unique, chunk_size):
            options: dict[str, Any] = {"fields": list(fields)}
            if load != "_classic_read":
                options["load"] = load
            result = await self.call(model, "read", ids=batch, context=context, **options)
            rows.extend(result or [])
        return rows

    async def write(self, model: str, ids: Iterable[int], vals: Mapping[str, Any], *,
                    context: Mapping[str, Any] | None = None) -> None:
        """Write the same ``vals`` on all ``ids`` in one call (nothing to do: no call)."""
        id_list = list(dict.fromkeys(int(i) for i in ids))
        if not id_list or not vals:
            return
        await self.call(model, "write", dict(vals), ids=id_list, context=context)

    async def write_many(self, model: str, values_by_id: Mapping[int, Mapping[str, Any]], *,
                         context: Mapping[str, Any] | None = None, concurrency: int = 1) -> int:
        """Write per-record values, one ``write`` per distinct ``vals``, up to ``concurrency`` of
        them at once (the capacity governor, when set, still bounds what Odoo gets). Returns the
        calls made."""
        groups: dict[str, tuple[dict[str, Any], list[int]]] = {}
        for record_id, vals in values_by_id.items():
            if not vals:
                continue
            key = json.dumps(vals, sort_keys=True, default=str)
            groups.setdefault(key, (dict(vals), []))[1].append(int(record_id))
        gate = asyncio.Semaphore(max(1, concurrency))

        async def one(vals: dict[str, Any], id_list: list[int]) -> None:
            async with gate:
                await self.write(model, id_list, vals, context=context)

        await asyncio.gather(*(one(vals, id_list) for vals, id_list in groups.values()))
        return len(groups)

    async def write_each(self, model: str, values_by_id: Mapping[int, Mapping[str, str]], *,
                         context: Mapping[str, Any] | None = None) -> int:
        """Different values per record in ONE call, which ``write`` cannot do (it writes the
        same values on all ids): Odoo's import, ``load`` with the ``.id`` column. Values are
        import strings (a datetime is ``YYYY-MM-DD HH:MM:SS``); the import reads datetimes in
        the context's timezone, so UTC is set here, whatever the API user's timezone. All rows
        are written or none: Odoo rolls the import back on any error, raised here as
        InvalidInputError with Odoo's messages. One call per distinct set of field names; a
        single record is a plain ``write``."""
        if len(values_by_id) == 1:
            [(record_id, vals)] = values_by_id.items()
            await self.write(model, [record_id], vals, context=context)
            return 1 if vals else 0
        groups: dict[tuple[str, ...], list[list[str]]] = {}
        for record_id, vals in values_by_id.items():
            if vals:
                names = tuple(sorted(vals))
                groups.setdefault(names, []).append([str(int(record_id)), *(str(vals[n]) for n in names)])
        merged = {**(context or {}), "tz": "UTC"}
        for names, rows in groups.items():
            result = await self.call(model, "load", [".id", *names], rows, context=merged)
            messages = result.get("messages") if isinstance(result, Mapping) else None
            # Odoo answers the ids in row order; anything else means rows were not written.
            if not isinstance(result, Mapping) or result.get("ids") != [int(row[0]) for row in rows]:
                errors = [m for m in messages or [] if isinstance(m, Mapping) and m.get("type") == "error"]
                text = "; ".join(str(m.get("message")) for m in errors[:5])
                raise InvalidInputError(f"{model}.load refused the rows: {text}", system="odoo",
                                        operation=f"{model}.load", remote_message=text,
                                        details={"messages": list(messages or [])[:20]})
        return len(groups)

    async def call_method(self, model: str, method: str, ids: Iterable[int], *,
                          context: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """Call a public record method (``action_confirm``...) on many ids in one call.

        No ids: no call, ``None``. Returns Odoo's result (often ``True``, ``None`` or an action).
        """
        id_list = list(dict.fromkeys(int(i) for i in ids))
        if not id_list:
            return None
        return await self.call(model, method, ids=id_list, context=context, **kwargs)

    async def unlink(self, model: str, ids: Iterable[int], *,
                     context: Mapping[str, Any] | None = None) -> None:
        id_list = list(dict.fromkeys(int(i) for i in ids))
        if id_list:
            await self.call(model, "unlink", ids=id_list, context=context)

    async def fields_get(self, model: str, attributes: Sequence[str] = ("type", "relation"), *,
                         context: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        result = await self.call(model, "fields_get", attributes=list(attributes), context=context)
        return dict(result or {})

    # -- transport ----------------------------------------------------------------------------

    async def _governed(self, model: str, method: str, coro: Any, *, records: int = 1) -> Any:
        started = time.perf_counter()
        outcome = "ok"
        try:
            if self._governor is None:
                return await coro
            async with self._governor.slot(f"{model}.{method}", records) as slot:
                try:
                    return await coro
                except (OdooBusyError, TransientError):
                    slot.overloaded = True
                    raise
        except SyncError as exc:
            outcome = "retryable" if exc.retryable else "permanent"
            raise
        except BaseException:
            outcome = "cancelled"
            raise
        finally:
            if hasattr(coro, "close"):
                coro.close()  # when the governor refused a slot, the call never started
            ODOO_CALLS.labels(model=model, method=method, outcome=outcome).inc()
            ODOO_LATENCY.labels(model=model, method=method).observe(time.perf_counter() - started)

    async def _execute_kw_raw(self, model: str, method: str, args: list[Any],
                              kwargs: dict[str, Any]) -> Any:
        uid = await self.authenticate()
        params: list[Any] = [self.database, uid, self.__api_key, model, method, args]
        if kwargs:
            params.append(kwargs)
        return await self._jsonrpc("object", "execute_kw", params, operation=f"{model}.{method}")

    async def _json2_raw(self, model: str, method: str, body: dict[str, Any]) -> Any:
        return await self._json2(model, method, body)

    async def _post(self, path: str, *, operation: str, json_body: Any,
                    headers: Mapping[str, str] | None = None) -> httpx.Response:
        return await self._send("POST", path, operation=operation, json=json_body, headers=headers)

    async def _send(self, method: str, path: str, *, operation: str, **kwargs: Any) -> httpx.Response:
        """One HTTP request, through the circuit breaker when there is one: refused at once while
        Odoo is known to be down, and its outcome (reached Odoo or not) recorded."""
        if self._circuit is not None:
            await self._circuit.before_call(operation)
        try:
            response = await self._http.request(method, self.url + path, **kwargs)
        except httpx.HTTPError as exc:
            error = from_transport_error(exc, operation=operation)
            if self._circuit is not None:
                if is_outage_error(exc):
                    probe_in = await self._circuit.record_failure(error.message)
                    if probe_in is not None:
                        raise left_open(error, probe_in) from exc
                else:  # a slow Odoo is still there: end a probe that got this far
                    await self._circuit.record_success()
            raise error from exc
        if self._circuit is not None:
            if response.status_code in OUTAGE_STATUSES:
                error = from_http_status(response.status_code, operation=operation,
                                         body_message=_text_excerpt(response))
                probe_in = await self._circuit.record_failure(error.message)
                if probe_in is not None:
                    raise left_open(error, probe_in)
            else:
                await self._circuit.record_success()
        return response

    async def _jsonrpc(self, service: str, method: str, args: list[Any], *, operation: str) -> Any:
        request_id = next(self._ids)
        payload = {"jsonrpc": "2.0", "method": "call", "id": request_id,
                   "params": {"service": service, "method": method, "args": args}}
        response = await self._post("/jsonrpc", operation=operation, json_body=payload)
        if response.status_code != 200:
            raise from_http_status(response.status_code, operation=operation,
                                   body_message=_text_excerpt(response),
                                   retry_after=_retry_after(response))
        try:
            envelope = response.json()
        except ValueError as exc:
            raise TransientError(f"Odoo sent a non-JSON answer to {operation}", system="odoo",
                                 operation=operation, status_code=200) from exc
        if not isinstance(envelope, dict):
            raise TransientError(f"Odoo sent a malformed JSON-RPC answer to {operation}",
                                 system="odoo", operation=operation, status_code=200)
        error = envelope.get("error")
        if error:
            data = error.get("data") if isinstance(error, dict) else None
            message = str(error.get("message")) if isinstance(error, dict) else str(error)
            code = error.get("code") if isinstance(error, dict) else None
            status = 404 if code == 404 and not data else None
            failure = from_error_data(data, operation=operation, status_code=status,
                                      fallback_message=message)
            _log.debug("odoo_call_failed", operation=operation, error=type(failure).__name__)
            raise failure
        # A method that returned None has no "result" key at all: that is a success.
        return envelope.get("result")

    async def _json2(self, model: str, method: str, body: dict[str, Any]) -> Any:
        operation = f"{model}.{method}"
        headers = {"Authorization": f"bearer {self.__api_key}"}
        if self.database:
            headers["X-Odoo-Database"] = self.database
        response = await self._post(f"/json/2/{model}/{method}", operation=operation,
                                    json_body=body, headers=headers)
        if response.status_code == 200:
            if not response.content.strip():
                return None
            try:
                return response.json()
            except ValueError as exc:
                raise TransientError(f"Odoo sent a non-JSON answer to {operation}", system="odoo",
                                     operation=operation, status_code=200) from exc
        data: Any = None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code in (502, 503, 504, 429) or not isinstance(data, dict):
            raise from_http_status(response.status_code, operation=operation,
                                   body_message=_text_excerpt(response),
                                   retry_after=_retry_after(response))
        raise from_error_data(data, operation=operation, status_code=response.status_code,
                              fallback_message=f"HTTP {response.status_code}")

    async def _get_json(self, path: str, *, operation: str) -> Any:
        response = await self._send("GET", path, operation=operation)
        if response.status_code != 200:
            raise from_http_status(response.status_code, operation=operation,
                                   body_message=_text_excerpt(response))
        try:
            return response.json()
        except ValueError as exc:
            raise TransientError(f"Odoo sent a non-JSON answer to {operation}", system="odoo",
                                 operation=operation) from exc


#: ORM methods decorated ``@api.model``: their first positional argument is not the ids.
_MODEL_METHODS = frozenset({"create", "search", "search_count", "search_read", "search_fetch",
                            "read_group", "name_search", "name_create", "fields_get",
                            "default_get", "check_access_rights", "web_search_read", "load"})


def _records(method: str, ids: Sequence[int] | int | None, args: Sequence[Any]) -> int:
    """How many records a call carries (its cost grows with them): ids, or the rows of a
    ``create``/``load``."""
    if ids is not None:
        return 1 if isinstance(ids, int) else max(1, len(ids))
    rows = args[1] if method == "load" and len(args) > 1 else args[0] if method == "create" and args else None
    return max(1, len(rows)) if isinstance(rows, list) else 1


def _as_id_list(result: Any, operation: str) -> list[int]:
    if isinstance(result, bool):
        raise TransientError(f"{operation} returned {result!r} instead of ids", system="odoo",
                             operation=operation)
    if isinstance(result, int):
        return [result]
    if isinstance(result, list) and all(isinstance(i, int) and not isinstance(i, bool)
                                        for i in result):
        return list(result)
    raise TransientError(f"{operation} returned {type(result).__name__} instead of ids",
                         system="odoo", operation=operation)


def _text_excerpt(response: httpx.Response) -> str | None:
    try:
        data = response.json()
    except ValueError:
        text = response.text.strip()
        return text[:300] if text else None
    if isinstance(data, dict):
        for key in ("message", "error", "detail"):
            if isinstance(data.get(key), str):
                return str(data[key])[:300]
    return None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
