"""``simkit serve``: the cloud's VPC, VpcIpam and ResourceSharing APIs in front of a simulation.

:class:`CloudApi` answers one request at a time: it finds the operation by
(version, action) among the records of
:data:`~simkit.scenario.operations.OPERATIONS` that have a
:class:`~simkit.scenario.wire.Wire`, works out the caller from the access
key, turns the request's parameters into the operation's arguments as the
record declares, runs it with :meth:`Simulation.do
<simkit.engine.simulation.Simulation.do>` under one lock (so requests from
any number of clients are applied one at a time, in one order), and shapes
the answer as the record declares.  A refusal is the cloud's error code with
its HTTP status.  Beside the cloud's API, ``/_simkit/`` answers with the
state as the frames of :mod:`simkit.analysis.reports`, the events so far,
and resets to the starting state.

The HTTP layer is the standard library's
:class:`http.server.ThreadingHTTPServer`: the API is a handful of
query-string calls with empty bodies, one lock serialises the work anyway,
and it keeps ``simkit serve`` free of a web framework dependency.  A
request that is malformed, too large, or whose client goes away is answered
(where an answer is possible) and never stops the server.

Examples
--------
>>> api = CloudApi.empty()
>>> status, body = api.handle("POST", "/", {"x-acs-action": "ListIpams",
...     "x-acs-version": "2023-02-28", "authorization": "ACS3-HMAC-SHA256 Credential=admin"},
...     {"RegionId": "cn-hangzhou"})
>>> status, body["Ipams"], body["TotalCount"]
(200, [], 0)
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import json
import re
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..engine.simulation import Simulation
from ..scenario.loader import Scenario, load
from ..scenario.operations import OPERATIONS, Operation
from ..scenario.records import ListOf, Maybe, Record
from ..scenario.scalars import Flag, Integer, Mask, parse_duration
from ..scenario.specs import Step
from ..scenario.wire import Call, time_text, wire_id
from ..values.errors import DomainError, ScenarioError, UsageError
from .protocol import WireError, acs3_signature, credentials, v2_signature
from .record import Journal, expect_of, flow, records, step_line

__all__ = ["BANNER", "CloudApi", "Endpoint", "make_server", "serve"]

#: The line ``simkit serve`` prints once it accepts connections.
BANNER = "serving Alibaba Cloud VPC, VpcIpam and ResourceSharing APIs on http://{host}:{port}"

#: Longest request line (URL) and body accepted, in bytes.
MAX_URL = 16 * 1024
MAX_BODY = 1024 * 1024

#: (version, action) -> operation, for every operation the wire carries.
ROUTES: dict[tuple[str, str], Operation] = {
    (op.version, op.api): op for op in OPERATIONS.values() if op.wire is not None}

_PAGING = frozenset({"MaxResults", "NextToken", "PageNumber", "PageSize"})
_IGNORED = frozenset({"DryRun", "ClientToken", "Action", "Version", "Format",
                      "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion",
                      "SignatureNonce", "Timestamp", "SignatureType"})
_TRUE, _FALSE = {"true"}, {"false"}

#: The clocks a server can keep.
CLOCKS = ("wall", "frozen")


class CloudApi:
    """The cloud's API over one simulation: the state, the lock and the request logic.

    Parameters
    ----------
    scenario : the scenario whose initial state (and steps) the server starts from.
    region : the default region, for requests that carry none (ResourceSharing).
    clock : ``"frozen"`` (the clock moves only by ``/_simkit/advance``) or
        ``"wall"`` (it also follows the wall clock, in whole seconds, from now).
    """

    def __init__(self, scenario: Scenario, *, region: str = "cn-hangzhou",
                 clock: str = "frozen") -> None:
        if clock not in CLOCKS:
            raise UsageError(f"clock: {clock!r} is not one of {', '.join(CLOCKS)}")
        self.scenario = scenario
        self.region = region
        self.clock = clock
        self.journal: Journal | None = None
        self.broken = ""        # why the session file can no longer be written
        self.lock = threading.Lock()
        start = Simulation.from_scenario(scenario)
        for step in scenario.steps:
            start.apply(step)
        self._start = start
        self.keys = {k.id: k for k in scenario.access_keys}
        self.folder_ids = dict(scenario.folder_ids)
        self.rd_id = scenario.rd_id
        self._requests = 0
        self.reset()
        self._start_clock()

    @classmethod
    def recording(cls, session: Any, scenario: Scenario | None = None,
                  **kwargs: Any) -> tuple[CloudApi, list[str]]:
        """An API that records every call to ``session`` (a path), and what to say on start.

        A new ``session`` starts with ``scenario``'s text (None: the empty
        directory of :meth:`empty`); an existing one is replayed (its recorded
        outcomes must come again) and carried on.  Raises ScenarioError, and
        leaves the file as it was, when it is not a recording of ``scenario``
        or is corrupt before its last line.
        """
        opened = Journal.open(session, scenario, empty=_empty_scenario("admin"))
        try:
            api = cls(opened.start, **kwargs)
            api._replay(opened.scenario.steps[opened.first:], opened.scenario.file)
        except BaseException:
            opened.journal.close()
            raise
        api.journal = opened.journal
        return api, opened.notes

    def _replay(self, steps: tuple[Step, ...], file: str) -> None:
        """Run recorded steps again; each must give what it recorded."""
        for step in steps:
            op = OPERATIONS.get(step.op or "")
            if op is not None and op.wire and op.wire.new_id and op.makes:
                self._follow(op.wire.new_id, str(step.args.get(op.makes, "")))
            event = self.sim.apply(step)
            if event.met is False:
                got = event.error_code or event.cidr or "success"
                raise ScenarioError(f"step {step.index} ({step.op}) does not replay: expected "
                                    f"{event.expected}, got {got}; the file is left as it is",
                                    file=file, line=step.line)
        self._start_clock()

    def _follow(self, prefix: str, made: str) -> None:
        """Count ``made`` as an id this server made up, so that none is made twice."""
        n = self._made.get(prefix, 0)
        for k in range(n + 1, n + 100_000):
            if wire_id(prefix, k) == made:
                self._made[prefix] = k
                return

    def _start_clock(self) -> None:
        self._t0 = time.monotonic()
        self._base = self.sim.now
        self._offset = timedelta(0)
        self._recorded_at = self.sim.now

    def _tick(self) -> None:
        """Under the wall clock, move the simulated clock to the time now."""
        if self.clock == "wall":
            when = self._base + self._offset + timedelta(seconds=int(time.monotonic() -
                                                                     self._t0))
            if when > self.sim.now:
                self.sim.at(when)

    def _record(self, op: Operation, actor: str, args: Mapping[str, Any], result: Any,
                err: DomainError | None, dry: bool) -> None:
        """Append the call to the session file (when it records one), before it is answered."""
        if self.journal is None or not records(op, err is not None or dry):
            return
        lines = []
        if dry:
            outcome = err.code if err is not None else "DryRunOperation"
            lines.append(f"# DryRun {step_line(op, actor, args, None)} -> {outcome}; "
                         "changed nothing")
        else:
            lines.extend(self._clock_lines())
            lines.append(step_line(op, actor, args, expect_of(op, result, err)))
        self._append(lines)

    def _append(self, lines: list[str]) -> None:
        """Write to the session file; when it fails, this call and every later one is
        refused (the state may be ahead of the file: only a restart from it is sound)."""
        assert self.journal is not None
        try:
            self.journal.append(*lines)
        except OSError as err:
            self.broken = (f"the session file {self.journal.path} cannot be written "
                           f"({err.strerror or err}); this server answers no more calls: "
                           "restart it on the session file")
            raise WireError("InternalError", self.broken, 500) from None

    def _clock_lines(self) -> list[str]:
        if self.sim.now == self._recorded_at:
            return []
        self._recorded_at = self.sim.now
        return [flow({"at": time_text(self.sim.now)})]

    def advance(self, by: str) -> None:
        """Move the clock forward by a duration such as ``8d`` (recorded as ``advance:``)."""
        duration = parse_duration(by)
        if duration <= timedelta(0):
            raise UsageError(f"advance: {by!r} is not a positive duration")
        with self.lock:
            if self.broken:
                raise UsageError(self.broken)
            self._tick()
            lines = self._clock_lines()
            self.sim.advance(duration)
            self._offset += duration
            self._recorded_at = self.sim.now
            if self.journal is not None:
                self._append([*lines, flow({"advance": by.strip()})])

    @classmethod
    def empty(cls, account: str = "admin", **kwargs: Any) -> CloudApi:
        """An API over an empty directory whose one account is ``account``."""
        return cls(_empty_scenario(account), **kwargs)

    def reset(self) -> None:
        """Go back to the starting state (the scenario's state after its steps)."""
        with self.lock:
            self.sim = self._start.copy()
            self.labels: dict[str, str] = {}
            self._made: dict[str, int] = {}

    # -- one request ---------------------------------------------------------------
    def handle(self, method: str, path: str, headers: Mapping[str, str],
               params: Mapping[str, str], body: bytes = b"") -> tuple[int, dict[str, Any]]:
        """Answer one request: ``(HTTP status, JSON body)``.  Never raises."""
        with self.lock:
            self._requests += 1
            request_id = _request_id(self._requests)
        host = headers.get("host", "")
        try:
            body_out = self._answer(method, headers, dict(params), body)
        except WireError as err:
            return err.status, _error(request_id, host, err.code, err.message)
        except DomainError as err:
            return err.http_status, _error(request_id, host, err.code, err.message)
        except Exception as err:  # noqa: BLE001 - a server answers, whatever went wrong
            return 500, _error(request_id, host, "InternalError",
                               f"{type(err).__name__}: {err}")
        return 200, {"RequestId": request_id, **body_out}

    def _answer(self, method: str, headers: Mapping[str, str], params: dict[str, str],
                body: bytes) -> dict[str, Any]:
        action = headers.get("x-acs-action") or params.get("Action", "")
        version = headers.get("x-acs-version") or params.get("Version", "")
        op = ROUTES.get((version, action))
        if op is None:
            known = ", ".join(sorted({v for v, _ in ROUTES}))
            raise WireError("InvalidAction.NotFound",
                            f"{action or '(no action)'} is not an action of version "
                            f"{version or '(none)'} here (versions: {known})")
        actor = self._caller(method, headers, params, body)
        wire = op.wire
        assert wire is not None
        with self.lock:
            if self.broken:
                raise WireError("InternalError", self.broken, 500)
            self._tick()
            sim = self.sim
            call = Call(sim, actor, {}, None, params, params.get("RegionId") or self.region,
                        self.labels, self.folder_ids, self.rd_id)
            args = self._arguments(op, params, call)
            dry = _flag("DryRun", params.get("DryRun", "false"))
            target = sim.copy() if dry else sim
            call.sim = target
            if wire.prepare is not None:
                wire.prepare(target, actor, args, params, call)
            if wire.new_id and op.makes and op.makes not in args:
                args[op.makes] = self._new_id(wire.new_id, dry)
            region = args.pop("region", None)
            kwargs = dict(args)
            if op.own_region or region is not None:
                kwargs["region"] = region
            try:
                result = target.do(actor, op.name, **kwargs)
            except DomainError as err:
                if not dry:
                    self._log(op, actor, args, None, err)
                self._record(op, actor, kwargs, None, err, dry)
                raise
            except UsageError as err:
                raise WireError("InvalidParameter.Value", str(err)) from None
            if dry:
                self._record(op, actor, kwargs, result, None, True)
                raise WireError("DryRunOperation",
                                "the request would have succeeded; DryRun changed nothing")
            self._log(op, actor, args, result, None)
            self._record(op, actor, kwargs, result, None, False)
            if wire.label and params.get(wire.label) and result.resource:
                self.labels[result.resource] = params[wire.label]
            call.args, call.result = args, result
            if wire.items is None:
                return wire.answer(call)
            return _page(op, wire.items(call), params)

    def _caller(self, method: str, headers: Mapping[str, str], params: Mapping[str, str],
                body: bytes) -> str:
        cred = credentials(headers, params)
        if not self.keys:
            if not self.sim.org.knows(cred.key_id):
                raise WireError("InvalidAccessKeyId.NotFound",
                                f"the access key {cred.key_id} is not an account of the "
                                "scenario (without access_keys, the key id is the account)")
            return cred.key_id
        key = self.keys.get(cred.key_id)
        if key is None:
            raise WireError("InvalidAccessKeyId.NotFound",
                            f"the access key {cred.key_id} does not exist")
        if cred.style == "acs3":
            payload = headers.get("x-acs-content-sha256") or hashlib.sha256(body).hexdigest()
            want = acs3_signature(key.secret, method, "/", params, headers,
                                  list(cred.signed_headers), payload)
            ok = want == cred.signature.lower()
        else:
            ok = v2_signature(key.secret, method, params) == cred.signature
        if not ok:
            raise WireError("SignatureDoesNotMatch",
                            "the request signature does not match the one computed with the "
                            "secret of its access key")
        return key.account

    def _arguments(self, op: Operation, params: Mapping[str, str], call: Call) -> dict[str, Any]:
        """The operation's arguments from the request, as its Wire declares them."""
        wire = op.wire
        assert wire is not None
        mapped = {arg for arg in wire.params.values() if isinstance(arg, str)}
        needed = [*wire.required,
                  *(name for name, arg in wire.params.items()
                    if isinstance(arg, str) and "." not in arg
                    and op.args.get(arg) is not None and op.args[arg].required
                    and not isinstance(op.args[arg].type, ListOf))]
        for name in dict.fromkeys(needed):
            if not _present(name, params):
                raise WireError("MissingParameter",
                                f"{op.api} requires the parameter {name}")
        args: dict[str, Any] = {}
        for name, arg in wire.params.items():
            if isinstance(arg, tuple):
                path, value = arg
                if name in params and _flag(name, params[name]):
                    _put(args, path, value)
                continue
            if name.endswith(".N") or ".N." in name:
                values = _numbered(name, params)
                if values is None:
                    continue
                values = [_convert(op, arg, name, v, call, item=True) for v in values]
                existing = args.get(arg, [])
                args[arg] = [*existing, *values]
            elif name in params:
                _put(args, arg, _convert(op, arg, name, params[name], call))
        for arg in mapped:
            spec = op.args.get(arg)
            if spec is not None and spec.required and isinstance(spec.type, ListOf):
                args.setdefault(arg, [])
        return args

    def _new_id(self, prefix: str, dry: bool) -> str:
        n = self._made.get(prefix, 0)
        taken = self._taken()
        while True:
            n += 1
            candidate = wire_id(prefix, n)
            if candidate not in taken:
                break
        if not dry:
            self._made[prefix] = n
        return candidate

    def _taken(self) -> set[str]:
        model = self.sim.model
        return {*model.ipams, *model.scopes, *model.pools, *model.vpcs, *model.allocations,
                *(s.id for s in self.sim.shares.all())}

    def _log(self, op: Operation, actor: str, args: Mapping[str, Any], result: Any,
             err: DomainError | None) -> None:
        sim = self.sim
        sim.log.append(sim.request_event(None, "wire", op, actor, args,
                                         err if err is not None else result))

    # -- the control endpoint --------------------------------------------------------
    def control(self, method: str, path: str, query: str = "") -> tuple[int, Any]:
        """``/_simkit/state``, ``/_simkit/events`` (GET), ``/_simkit/reset`` and
        ``/_simkit/advance?by=8d`` (POST)."""
        name = path.removeprefix("/_simkit/").strip("/")
        if name == "reset" and method == "POST":
            if self.journal is not None:
                return 409, {"Code": "IncorrectStatus",
                             "Message": "a recording server cannot go back: its session file "
                                        "would no longer replay to its state"}
            self.reset()
            return 200, {"reset": True}
        if name == "advance" and method == "POST":
            by = dict(parse_qsl(query)).get("by", "")
            try:
                self.advance(by)
            except UsageError as err:
                return 400, {"Code": "InvalidParameter.Value",
                             "Message": f"advance?by=DURATION (such as 30m, 12h or 8d): {err}"}
            return 200, {"now": time_text(self.sim.now)}
        if name == "state" and method == "GET":
            from ..analysis import reports

            with self.lock:
                frames = {"utilisation": reports.utilisation(self.sim),
                          "allocations": reports.allocations(self.sim),
                          "conflicts": reports.conflicts(self.sim)}
                return 200, {key: _records(frame) for key, frame in frames.items()}
        if name == "events" and method == "GET":
            with self.lock:
                return 200, _records(self.sim.events)
        return 404, {"Code": "InvalidAction.NotFound",
                     "Message": f"{method} {path}: the control endpoint has GET "
                                "/_simkit/state, GET /_simkit/events, POST /_simkit/reset and "
                                "POST /_simkit/advance?by=DURATION"}


def _empty_scenario(account: str) -> Scenario:
    from ..scenario.loader import loads

    text = f"version: 1\nname: empty\norg: {{management_account: {account}}}\n"
    return loads(text, "<empty>")


# -- parameters --------------------------------------------------------------------------
def _present(name: str, params: Mapping[str, str]) -> bool:
    if name.endswith(".N") or ".N." in name:
        return _numbered(name, params) is not None
    return params.get(name, "") != ""


def _numbered(name: str, params: Mapping[str, str]) -> list[str] | None:
    """The values of ``X.N`` (or ``X.N.Y``) in number order; None when there is none."""
    head, _, tail = name.partition(".N")
    pattern = re.compile(re.escape(head) + r"\.(\d+)" + re.escape(tail) + "$")
    found = sorted((int(m.group(1)), value) for key, value in params.items()
                   if (m := pattern.match(key)))
    return [value for _, value in found] or None


def _put(args: dict[str, Any], path: str, value: Any) -> None:
    head, _, rest = path.partition(".")
    if rest:
        args.setdefault(head, {})[rest] = value
    else:
        args[head] = value


def _flag(name: str, text: str) -> bool:
    low = str(text).strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise WireError("InvalidParameter.Value", f"{name}: {text!r} is not true or false")


def _field_type(op: Operation, path: str) -> Any:
    head, _, rest = path.partition(".")
    spec = op.args.get(head)
    kind = spec.type if spec is not None else None
    if rest and isinstance(kind, Record):
        inner = kind.fields.get(rest)
        kind = inner.type if inner is not None else None
    if isinstance(kind, Maybe):
        kind = kind.inner
    return kind


def _convert(op: Operation, path: str, name: str, text: str, call: Call, *,
             item: bool = False) -> Any:
    """A request value as the argument's format type reads it."""
    kind = _field_type(op, path)
    if item and isinstance(kind, ListOf):
        kind = kind.item
    if isinstance(kind, Mask | Integer):
        if not re.fullmatch(r"-?\d{1,6}", text.strip()):
            raise WireError("InvalidParameter.Value", f"{name}: {text!r} is not an integer")
        return int(text)
    if isinstance(kind, Flag):
        return _flag(name, text)
    if path == "principals":
        return _principal(call, text)
    if path == "resources" and text.startswith("acs:"):
        return text.rpartition("/")[2]
    return text


def _principal(call: Call, text: str) -> str:
    """A share target as the wire names it (account, folder or directory id) -> principal."""
    if call.rd_id and text == call.rd_id:
        return "rd"
    if text in call.folder_ids:
        return f"folder:{call.folder_ids[text]}"
    return f"account:{text}"


# -- answers -----------------------------------------------------------------------------
def _page(op: Operation, items: list[dict[str, Any]], params: Mapping[str, str]) -> dict:
    wire = op.wire
    assert wire is not None
    for name, field_name in wire.filters.items():
        if name.endswith(".N"):
            wanted = _numbered(name, params)
            if wanted is not None:
                items = [i for i in items if str(i.get(field_name)) in wanted]
        elif params.get(name, "") != "":
            want = params[name]
            items = [i for i in items if _matches(i.get(field_name), want, name)]
    if wire.paging == "page":
        number = _int_param(params, "PageNumber", 1, 1, 10**6)
        size = _int_param(params, "PageSize", wire.page_size, 1, 50)
        chunk = items[(number - 1) * size: number * size]
        outer, _, inner = (wire.list_key or "").partition(".")
        return {"PageNumber": number, "PageSize": size, "TotalCount": len(items),
                outer: {inner: chunk} if inner else chunk}
    size = _int_param(params, "MaxResults", wire.page_size, 1, 100)
    query = _fingerprint(op, params)
    start = 0
    token = params.get("NextToken", "")
    if token:
        offset, _, mark = token.partition(".")
        if not offset.isdigit() or mark != query or int(offset) > len(items):
            raise WireError("InvalidParameter.Value",
                            f"NextToken: {token!r} is not a token of this query")
        start = int(offset)
    chunk = items[start:start + size]
    end = start + len(chunk)
    out: dict[str, Any] = {"NextToken": f"{end}.{query}" if end < len(items) else ""}
    if wire.paging == "token":
        out.update(MaxResults=size, Count=len(chunk), TotalCount=len(items))
    out[wire.list_key or "Items"] = chunk
    return out


def _matches(value: Any, want: str, name: str) -> bool:
    if isinstance(value, bool):
        return value == _flag(name, want)
    return str(value) == want


def _int_param(params: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    text = params.get(name, "")
    if text == "":
        return default
    if not text.strip().isdigit() or not lo <= int(text) <= hi:
        raise WireError("InvalidParameter.Value",
                        f"{name}: {text!r} is not an integer from {lo} to {hi}")
    return int(text)


def _fingerprint(op: Operation, params: Mapping[str, str]) -> str:
    """A short digest of the query without its paging: a NextToken is valid for it only."""
    kept = sorted((k, v) for k, v in params.items()
                  if k not in _PAGING and k not in _IGNORED)
    return hashlib.sha256(json.dumps([op.api, kept]).encode()).hexdigest()[:12]


def _error(request_id: str, host: str, code: str, message: str) -> dict[str, Any]:
    return {"RequestId": request_id, "HostId": host, "Code": code, "Message": message,
            "Recommend": "simkit serve: the code is the one simkit run records for the "
                         "same step"}


def _request_id(n: int) -> str:
    digest = hashlib.sha256(f"request-{n}".encode()).hexdigest().upper()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _records(frame: Any) -> list[dict[str, Any]]:
    return json.loads(frame.to_json(orient="records", date_format="iso", default_handler=str))


# -- HTTP --------------------------------------------------------------------------------
class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "simkit"
    disable_nagle_algorithm = True      # headers and body leave at once: no 40 ms stalls
    protocol_version = "HTTP/1.1"
    api: CloudApi

    def log_message(self, format: str, *args: Any) -> None:   # quiet: tests and notebooks
        return

    def _send(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:          # the client went away: nothing to answer
            self.close_connection = True

    def _serve(self) -> None:
        api = self.server.api  # type: ignore[attr-defined]
        if len(self.path) > MAX_URL:
            self.close_connection = True
            return self._send(414, _error("", "", "InvalidRequest.TooLarge",
                                          f"the URL is longer than {MAX_URL} bytes"))
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True
            return self._send(413, _error("", "", "InvalidRequest.TooLarge",
                                          f"the body must be 0 to {MAX_BODY} bytes"))
        try:
            body = self.rfile.read(length) if length else b""
        except OSError:
            self.close_connection = True
            return None
        if len(body) < length:     # the client went away mid-body
            self.close_connection = True
            return None
        parts = urlsplit(self.path)
        if parts.path.startswith("/_simkit"):
            return self._send(*api.control(self.command, parts.path, parts.query))
        try:
            params = dict(parse_qsl(parts.query, keep_blank_values=True,
                                    errors="strict"))
            kind = self.headers.get("Content-Type", "")
            if body and kind.startswith("application/x-www-form-urlencoded"):
                params.update(parse_qsl(body.decode(), keep_blank_values=True,
                                        errors="strict"))
        except (UnicodeDecodeError, ValueError) as err:
            return self._send(400, _error("", "", "InvalidRequest.Malformed",
                                          f"the query cannot be decoded: {err}"))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self._send(*api.handle(self.command, parts.path, headers, params, body))

    do_GET = do_POST = do_PUT = do_DELETE = _serve


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    api: CloudApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        return      # a broken connection concerns only its client


def make_server(api: CloudApi, host: str = "127.0.0.1", port: int = 8765) -> _Server:
    """A threading HTTP server answering with ``api`` (bound, not yet serving)."""
    server = _Server((host, port), _Handler)
    server.api = api
    return server


@dataclass
class Endpoint:
    """A running server: its ``url``, the ``endpoint`` an SDK ``Config`` takes, its API."""

    host: str
    port: int
    api: CloudApi

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def reset(self) -> None:
        """Back to the starting state."""
        self.api.reset()

    def __str__(self) -> str:
        return self.url


@contextlib.contextmanager
def serve(scenario: Any = None, *, host: str = "127.0.0.1", port: int = 0,
          region: str = "cn-hangzhou", record: Any = None,
          clock: str = "frozen") -> Iterator[Endpoint]:
    """Run the cloud's API over ``scenario`` in a background thread while the block runs.

    ``scenario`` is a path, a loaded :class:`~simkit.scenario.loader.Scenario`, or None
    (an empty directory with one account, ``admin``).  ``port=0`` picks a free port.
    ``record`` is a session file to record every call to (and to carry on from, when it
    exists: see :meth:`CloudApi.recording`); ``clock`` is ``"frozen"`` or ``"wall"``.

    Examples
    --------
    >>> import json, urllib.request
    >>> with serve() as endpoint:
    ...     with urllib.request.urlopen(endpoint.url + "/_simkit/events") as answer:
    ...         json.load(answer)
    []
    """
    if scenario is not None and not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if record is not None:
        api, _ = CloudApi.recording(record, scenario, region=region, clock=clock)
    elif scenario is None:
        api = CloudApi.empty(region=region, clock=clock)
    else:
        api = CloudApi(scenario, region=region, clock=clock)
    server = make_server(api, host, port)
    thread = threading.Thread(target=server.serve_forever, name="simkit-serve", daemon=True)
    thread.start()
    try:
        yield Endpoint(host, server.server_address[1], api)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        if api.journal is not None:
            api.journal.close()

