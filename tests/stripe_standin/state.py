"""The stand-in's memory: objects by id, emitted events, the request log, faults and idempotency keys."""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

from . import objects
from .wire import StripeError


@dataclass
class Fault:
    id: str
    path_prefix: str
    method: str | None
    count: int
    status: int | None = None
    delay_seconds: float = 0.0
    when: str = "before"
    disconnect: bool = False
    error: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Replay:
    fingerprint: tuple[str, str, str]
    status: int
    body: dict[str, Any]
    request_id: str


class Store:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.objects: dict[str, dict[str, Any]] = {}
            self.line_items: dict[str, list[dict[str, Any]]] = {}
            self.pi_data: dict[str, dict[str, Any]] = {}
            self.events: list[dict[str, Any]] = []
            self.requests: list[dict[str, Any]] = []
            self.faults: list[Fault] = []
            self.replays: dict[tuple[str, str, str], Replay] = {}
            self._fault_seq = 0

    # objects -------------------------------------------------------------
    def put(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj

    def get(self, obj_id: str, kind: str, *, param: str = "id", status: int = 404) -> dict[str, Any]:
        obj = self.objects.get(obj_id)
        if obj is None or obj["object"] != kind:
            raise StripeError(status, f"No such {kind}: '{obj_id}'", code="resource_missing", param=param)
        return obj

    def of_kind(self, kind: str, **filters: Any) -> list[dict[str, Any]]:
        found = [o for o in self.objects.values() if o["object"] == kind]
        found = [o for o in found if all(o.get(k) == v for k, v in filters.items() if v is not None)]
        return sorted(found, key=lambda o: o["created"], reverse=True)

    def snapshot(self, obj: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(obj)

    # events ----------------------------------------------------------------
    def emit(self, type_: str, obj: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        evt = objects.event(type_, self.snapshot(obj), **kwargs)
        self.events.append(evt)
        return evt

    # expansion -------------------------------------------------------------
    def expand(self, body: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        result = copy.deepcopy(body)
        for path in sorted(paths, key=lambda p: p.count(".")):
            self._expand(result, path.split("."), path)
        return result

    def _expand(self, node: Any, parts: list[str], path: str) -> None:
        if isinstance(node, list):
            for item in node:
                self._expand(item, parts, path)
            return
        if not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if head == "line_items" and node.get("object") == "checkout.session":
            url = f"/v1/checkout/sessions/{node['id']}/line_items"
            node[head] = node.get(head) or objects_list(self.line_items.get(node["id"], []), url)
        if head not in node:
            raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
        value = node[head]
        if isinstance(value, str) and not rest:
            target = self.objects.get(value)
            if target is None:
                raise StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
            node[head] = copy.deepcopy(target)
        elif rest:
            self._expand(value, rest, path)

    # faults ----------------------------------------------------------------
    def add_fault(self, spec: dict[str, Any]) -> Fault:
        self._fault_seq += 1
        allowed = {
            "path_prefix",
            "method",
            "count",
            "status",
            "delay_seconds",
            "when",
            "disconnect",
            "error",
            "headers",
        }
        unknown = set(spec) - allowed
        if unknown or "path_prefix" not in spec or spec.get("when", "before") not in ("before", "after"):
            raise ValueError(f"fault needs path_prefix; allowed keys {sorted(allowed)}; when before|after")
        method = spec.get("method")
        fault = Fault(
            id=f"fault_{self._fault_seq}",
            path_prefix=spec["path_prefix"],
            method=method.upper() if method else None,
            count=int(spec.get("count", 1)),
            status=spec.get("status"),
            delay_seconds=float(spec.get("delay_seconds", 0)),
            when=spec.get("when", "before"),
            disconnect=bool(spec.get("disconnect", False)),
            error=dict(spec.get("error", {})),
            headers=dict(spec.get("headers", {})),
        )
        self.faults.append(fault)
        return fault

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and path.startswith(fault.path_prefix) and fault.method in (None, method):
                    fault.count -= 1
                    return fault
        return None


def objects_list(items: list[dict[str, Any]], url: str) -> dict[str, Any]:
    return {"object": "list", "data": copy.deepcopy(items), "has_more": False, "url": url}
