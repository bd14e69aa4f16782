"""The emulated server: services ``common``/``db``/``object``, authentication and dispatch.

One call = one transaction (rolled back on error), as in ``odoo/service/model.py``. Private
methods (``^(_.*|init)$``) are refused with an AccessError before the model is looked up; an
unknown model is a UserError, an unknown method an AttributeError; ``uid`` goes through
``int()``; the context comes only from ``kwargs["context"]``.
"""

from __future__ import annotations

import asyncio
import re
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .database import Database
from .errors import (
    AccessDenied,
    AccessError,
    EmulatorError,
    OdooAttributeError,
    OdooTypeError,
    SerializationFailure,
    UserError,
)
from .faults import Faults, is_writing
from .latency import LatencyModel
from .orm import MODEL_METHODS, Env, Model
from .persistence import Snapshotter, load_snapshot
from .registry import build_registry
from .seed import DEMO_DATABASE, seed_database

__all__ = ["CallRecord", "HttpFault", "OdooEmulator", "OperationalError"]

_PRIVATE = re.compile(r"^(_.*|init)$")


class OperationalError(EmulatorError):
    odoo_name = "psycopg2.OperationalError"
    json2_status = 500


class HttpFault(Exception):
    """A transport-level failure to simulate: the proxy in front of Odoo answers ``status``."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


@dataclass(frozen=True, kw_only=True)
class CallRecord:
    service: str
    method: str
    model: str | None
    records: int
    seconds: float
    error: str | None


@dataclass
class OdooEmulator:
    """State and behaviour of one emulated Odoo server (one database)."""

    db: Database = field(default_factory=seed_database)
    database: str = DEMO_DATABASE
    version: str = "18.0"
    latency: LatencyModel = field(default_factory=LatencyModel)
    faults: Faults = field(default_factory=Faults)
    persist_path: Path | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    sleep: Callable[[float], Any] = asyncio.sleep

    def __post_init__(self) -> None:
        self.registry: dict[str, Model] = build_registry(self.db)
        self.calls: deque[CallRecord] = deque(maxlen=10_000)
        self.counts: Counter[str] = Counter()
        self._snapshotter = Snapshotter(self.persist_path) if self.persist_path else None
        self._semaphore: asyncio.Semaphore | None = None

    @classmethod
    def open(cls, persist_path: Path | None = None, **kwargs: Any) -> OdooEmulator:
        """An emulator continuing from ``persist_path`` when it exists, else freshly seeded."""
        db = load_snapshot(persist_path) if persist_path else None
        emulator = cls(db=db or seed_database(), persist_path=persist_path, **kwargs)
        if persist_path and db is None:
            emulator.db.dirty = True
            emulator.flush()
        return emulator

    def flush(self) -> None:
        if self._snapshotter:
            self._snapshotter.maybe_save(self.db, force=True)

    # -- version ---------------------------------------------------------------------------------
    def version_info(self) -> dict[str, Any]:
        major, _, minor = self.version.partition(".")
        info = [int(major), int(minor or 0), 0, "final", 0, ""]
        return {"server_version": self.version, "server_version_info": info, "server_serie": self.version,
                "protocol_version": 1}

    @property
    def major(self) -> int:
        return int(self.version.split(".")[0])

    # -- entry points ---------------------------------------------------------------------------
    async def jsonrpc(self, params: dict[str, Any]) -> Any:
        service = params.get("service")
        method = params.get("method")
        args = params.get("args") or []
        if not isinstance(args, list):
            raise OdooTypeError("args must be a list")
        if service == "common":
            return await self._timed("common", str(method), None, 1, lambda: self._common(str(method), args))
        if service == "db":
            return await self._timed("db", str(method), None, 1, lambda: self._db_service(str(method), args))
        if service == "object":
            if method == "execute_kw":
                if len(args) < 6:
                    raise OdooTypeError("execute_kw() takes db, uid, password, model, method, args[, kwargs]")
                db, uid, password, model, name, call_args = args[:6]
                kwargs = args[6] if len(args) > 6 else {}
            elif method == "execute":
                if len(args) < 5:
                    raise OdooTypeError("execute() takes db, uid, password, model, method, *args")
                db, uid, password, model, name = args[:5]
                call_args, kwargs = list(args[5:]), {}
            else:
                raise OdooAttributeError(f"The method 'object.{method}' does not exist")
            return await self.execute_kw(str(db), uid, str(password), str(model), str(name), call_args,
                                         kwargs or {})
        raise UserError(f"Unknown service {service!r}")

    async def json2(self, api_key: str, model: str, method: str, body: dict[str, Any]) -> Any:
        uid = self.db.api_keys.get(api_key)
        if uid is None:
            raise AccessDenied()
        body = dict(body)
        ids = body.pop("ids", None)
        context = body.pop("context", None) or {}
        kwargs = {**body, "context": context}
        args: list[Any] = [] if ids is None else [ids]
        return await self.execute_kw(self.database, uid, api_key, model, method, args, kwargs, named=True)

    def _common(self, method: str, args: list[Any]) -> Any:
        if method == "version":
            return self.version_info()
        if method in ("login", "authenticate"):
            if len(args) < 3:
                raise OdooTypeError(f"{method}() takes db, login, password")
            self._check_db(str(args[0]))
            return self._authenticate(str(args[1]), str(args[2]))
        if method == "about":
            return "See http://openerp.com"
        raise OdooAttributeError(f"The method 'common.{method}' does not exist")

    def _db_service(self, method: str, args: list[Any]) -> Any:
        if method == "list":
            return [self.database]
        if method == "server_version":
            return self.version
        if method == "db_exist":
            return bool(args) and args[0] == self.database
        raise AccessError(f"The method 'db.{method}' is not available in the emulator")

    def _check_db(self, name: str) -> None:
        if name != self.database:
            raise OperationalError(f'connection to server failed: FATAL:  database "{name}" does not exist')

    def _authenticate(self, login: str, password: str) -> int | bool:
        for uid, user in self.db.table("res.users").items():
            if user.get("login") == login and user.get("active", True):
                if self.db.passwords.get(uid) == password or self.db.api_keys.get(password) == uid:
                    return int(uid)
                return False
        return False

    def _check_credentials(self, uid: Any, password: str) -> int:
        try:
            uid = int(uid)
        except (TypeError, ValueError) as exc:
            raise OdooTypeError(f"invalid uid {uid!r}") from exc
        user = self.db.table("res.users").get(uid)
        if not user or not user.get("active", True):
            raise AccessDenied()
        if self.db.passwords.get(uid) != password and self.db.api_keys.get(password) != uid:
            raise AccessDenied()
        return int(uid)

    async def execute_kw(self, db: str, uid: Any, password: str, model: str, method: str, args: Any,
                         kwargs: dict[str, Any], named: bool = False) -> Any:
        self._check_db(db)
        uid = self._check_credentials(uid, password)
        if _PRIVATE.match(method):
            raise AccessError(f"Private methods (such as {method}) cannot be called remotely.")
        target = self.registry.get(model)
        if target is None:
            raise UserError(f"Object {model} doesn't exist")
        fn = getattr(target, method, None)
        if fn is None or not callable(fn) or method.isupper():
            raise OdooAttributeError(f"The method '{method}' does not exist on the model '{model}'")
        if not isinstance(args, list):
            raise OdooTypeError("args must be a list")
        kwargs = dict(kwargs)
        context = kwargs.pop("context", None) or {}
        if not isinstance(context, dict):
            raise OdooTypeError("context must be a dict")
        lang = context.get("lang")
        if lang and lang != "en_US":
            raise UserError(f"Invalid language code: {lang}")
        records = _record_count(method, args, kwargs)
        result = await self._timed("object", method, model, records,
                                   lambda: self._run(uid, target, method, fn, args, kwargs, context))
        if method in ("read", "search_read") and isinstance(result, list) and self.latency.scale > 0:
            all_fields = not (kwargs.get("fields") or (method == "read" and len(args) > 1 and args[1]))
            extra = self.latency.rows_delay(len(result), all_fields)
            if extra > 0:
                await self.sleep(extra)
        return result

    def _run(self, uid: int, target: Model, method: str, fn: Any, args: list[Any], kwargs: dict[str, Any],
             context: dict[str, Any]) -> Any:
        env = Env(self.db, self.registry, uid, context, self.now)
        self.db.begin()
        try:
            if method in MODEL_METHODS:
                result = fn(env, *args, **kwargs)
            else:
                if not args and "ids" not in kwargs:
                    raise OdooTypeError(f"{target._name}.{method}() missing the record ids (args[0])")
                if args:
                    result = fn(env, args[0], *args[1:], **kwargs)
                else:
                    ids = kwargs.pop("ids")
                    result = fn(env, ids, **kwargs)
        except EmulatorError:
            self.db.rollback()
            raise
        except TypeError as exc:
            self.db.rollback()
            raise OdooTypeError(str(exc)) from exc
        except Exception as exc:
            self.db.rollback()
            raise _Unexpected(exc) from exc
        self.db.commit()
        if self._snapshotter:
            self._snapshotter.maybe_save(self.db)
        return result

    # -- latency, faults and bookkeeping -------------------------------------------------------------
    async def _timed(self, service: str, method: str, model: str | None, records: int,
                     work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        error: str | None = None
        self.counts[f"{model or service}.{method}"] += 1
        try:
            if service == "object":
                queued = self.faults.take_queued()
                if queued == "serialization":
                    raise SerializationFailure("could not serialize access due to concurrent update")
                if queued is not None:
                    raise HttpFault(int(queued.split("_")[1]))
            delay = self.latency.delay(method, records, model)
            if self.faults.mode == "slow":
                delay = max(delay * self.faults.slow_factor, self.faults.slow_min)
            if delay <= 0:
                if service == "object" and self.faults.serialization_now(method):
                    raise SerializationFailure("could not serialize access due to concurrent update")
                return work()
            if self._semaphore is None:
                self._semaphore = asyncio.Semaphore(max(1, self.latency.workers))
            async with self._semaphore:
                return await self._with_conflicts(service, method, model, delay, work)
        except BaseException as exc:
            error = getattr(exc, "odoo_name", type(exc).__name__)
            raise
        finally:
            self.calls.append(CallRecord(service=service, method=method, model=model, records=records,
                                         seconds=time.perf_counter() - started, error=error))

    async def _with_conflicts(self, service: str, method: str, model: str | None, delay: float,
                              work: Callable[[], Any]) -> Any:
        writing = service == "object" and is_writing(method)
        attempt = 0
        while True:
            before = self._versions_snapshot(model) if writing and self.faults.conflicts else None
            await self.sleep(delay)
            if writing and self.faults.serialization_now(method):
                raise SerializationFailure("could not serialize access due to concurrent update")
            if before is None or before == self._versions_snapshot(model):
                return work()
            attempt += 1
            if attempt >= self.faults.max_tries:
                raise SerializationFailure("could not serialize access due to concurrent update")
            await self.sleep(self.latency.backoff(attempt))

    def _versions_snapshot(self, model: str | None) -> int:
        # A cheap stand-in for "rows this call touches": any committed change to the model's table.
        return sum(v for (m, _), v in self.db.versions.items() if m == model) + len(self.db.table(model or ""))


class _Unexpected(EmulatorError):
    """A bug in the emulator (or an input it does not handle): reported like Odoo's generic error."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(f"{type(exc).__name__}: {exc}")
        self.odoo_name = f"builtins.{type(exc).__name__}"
        self.debug = "".join(traceback.format_exception(exc))


def _record_count(method: str, args: list[Any], kwargs: dict[str, Any]) -> int:
    first = args[0] if args else kwargs.get("vals_list") or kwargs.get("ids")
    if method == "create":
        return len(first) if isinstance(first, list) else 1
    if method == "load":
        data = args[1] if len(args) > 1 else kwargs.get("data")
        return max(1, len(data)) if isinstance(data, list) else 1
    if isinstance(first, list) and method not in ("search", "search_read", "search_count", "read_group"):
        return max(1, len(first))
    return 1
