"""Fuzz the real server from its own OpenAPI document with schemathesis.

Every operation of `/schema/openapi.json` gets generated requests, valid and invalid (schemathesis's
examples, coverage and fuzzing phases, positive and negative modes), against the running
`booking serve` process. Each generated case is sent three ways:

1. as generated, without our credentials (whatever schemathesis made up for the security schemes);
2. with a real owner's `Authorization: Bearer` and `X-Organisation-Id`, so bodies reach the handlers;
3. like 2, with path parameters (and well-typed id, slug and time fields of the body and query)
   swapped for things that exist in that owner's organisation: the organisation, a resource type, a
   resource, a reservation, a member, an API key, the slug, a resource's public booking token, a
   public booking's manage token, a free slot.

Every response must be below 500, every 4xx must be RFC 9457 problem details (section 1 of the
contract), and every response must be what the document says: a status it lists, its content type, its
headers and its body schema (schemathesis's conformance checks).

Each operation gets its own freshly seeded organisation, so a destructive operation (a DELETE, a role
change) cannot starve the operations after it of real rows. Generation is derandomized with a fixed
seed, so a run is reproducible; the operations are whatever the running server documents, so new
routes are fuzzed without touching this file. A failure reports the minimal request, the response, a
curl command and what the server logged for that request (its traceback).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import requests
import schemathesis
from hypothesis.control import current_build_context
from hypothesis.errors import InvalidArgument
from schemathesis.core.transport import Response
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.api import Staff, member, unique, with_organisation
from tests.support.servers import Server

pytestmark = [
    pytest.mark.e2e,
    # Hypothesis warns when the failing example's repr is long; generated bodies can be.
    pytest.mark.filterwarnings("ignore:Generating overly large repr"),
]

CONFORMANCE = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
SEED = 20_240_611
MAX_EXAMPLES = 30
BERLIN = ZoneInfo("Europe/Berlin")
PROBLEM_FIELDS = ("type", "title", "status", "detail", "code")
CREDENTIAL_HEADERS = ("authorization", "x-api-key", "x-organisation-id")
# Fields of bodies and query strings that name an organisation-owned thing, with the type a valid one
# has: the known-ids pass points them at real rows, so that creations, updates and filters get past
# "no such thing". A value of another type (a string id, a null) is a negative case, kept as it is.
# Likewise a reservation's times: a free slot on the seeded type's grid, so bookings get past validation.
KNOWN_FIELDS: dict[str, type] = {
    "organisationId": int,
    "resourceTypeId": int,
    "resourceId": int,
    "slug": str,
    "startTime": str,
    "endTime": str,
}


# ----------------------------------------------------------------------------------------------------
# Seeded worlds: one organisation per operation, with a row of each kind that the operation's path names.


@dataclass
class World:
    owner: Staff
    known: dict[str, int | str]


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _free_slot(days: int) -> dict[str, str]:
    """The 10:00 to 11:00 slot, Berlin time, `days` from now: on the grid of the seeded type."""
    day = (datetime.now(BERLIN) + timedelta(days=days)).date()
    start = datetime(day.year, day.month, day.day, 10, tzinfo=BERLIN)
    return {"startTime": _instant(start), "endTime": _instant(start + timedelta(hours=1))}


@dataclass(repr=False)
class Worlds:
    client: httpx.Client
    by_operation: dict[str, World] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Worlds({len(self.by_operation)} seeded)"

    def for_operation(self, label: str, path: str) -> World:
        if label not in self.by_operation:
            self.by_operation[label] = self._seed(path)
        return self.by_operation[label]

    def _seed(self, path: str) -> World:
        owner = with_organisation(self.client)
        assert owner.organisation_id is not None
        assert owner.slug is not None
        rtype = owner.resource_type()  # open around the clock, 60-minute slots, free
        resource = owner.resource(rtype["id"], capacity=3)
        start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
        reservation = owner.ok(
            "POST",
            "/api/reservations",
            201,
            json={
                "resourceTypeId": rtype["id"],
                "resourceId": resource["id"],
                "startTime": _instant(start),
                "endTime": _instant(start + timedelta(hours=1)),
                "quantity": 1,
                "customerInfo": {"name": "Fuzz Customer", "email": "fuzz@example.com"},
            },
        )
        known: dict[str, int | str] = {
            "organisation_id": owner.organisation_id,
            "organisationId": owner.organisation_id,
            "type_id": rtype["id"],
            "resourceTypeId": rtype["id"],
            "resource_id": resource["id"],
            "resourceId": resource["id"],
            "reservation_id": reservation["id"],
            "slug": owner.slug,
            **_free_slot(days=4),
        }
        # Only the operations that name them pay for another user, an API key, a token or a public booking.
        if "{user_id}" in path:
            # Not the owner: demoting or removing the owner would lock the rest of the operation out.
            known["user_id"] = member(self.client, owner, "staff").user_id
        if "{key_id}" in path:
            scopes = ["reservations:read", "catalog:read"]
            body = {"name": unique("key"), "organisationId": owner.organisation_id, "scopes": scopes}
            known["key_id"] = owner.ok("POST", "/api/api-keys", 201, json=body)["id"]
        if "{token}" in path:
            token = owner.ok("GET", f"/api/resources/{resource['id']}/public-token")
            known["token"] = token["publicBookingToken"]
        if "{manage_token}" in path:
            booked = self.client.post(
                f"/api/public/booking/organisations/{owner.slug}/reserve",
                json={
                    "resourceTypeId": rtype["id"],
                    **_free_slot(days=3),
                    "quantity": 1,
                    "customerName": "Fuzz Customer",
                    "customerEmail": "fuzz@example.com",
                    "customerPhone": "+49 30 123",
                },
            )
            assert booked.status_code == 201, booked.text
            known["manage_token"] = booked.json()["manageToken"]
        return World(owner, known)


@dataclass(repr=False)
class Stats:
    cases: int = 0
    requests: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    operations: set[str] = field(default_factory=set)

    def __repr__(self) -> str:
        return f"Stats({self.cases} cases, {self.requests} requests)"

    def record(self, status: int) -> None:
        self.requests += 1
        self.by_status[status] = self.by_status.get(status, 0) + 1


@pytest.fixture(scope="module")
def fuzz_schema(server: Server) -> schemathesis.BaseSchema:
    raw = httpx.get(f"{server.url}/schema/openapi.json", timeout=30).raise_for_status().json()
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": server.url,
            "request-timeout": 30,
            "generation": {
                "mode": "all",  # positive and negative
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
        }
    )
    return schemathesis.openapi.from_dict(raw, config=config)


@pytest.fixture(scope="module")
def worlds(server: Server) -> Iterator[Worlds]:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield Worlds(http)


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


@pytest.fixture(scope="module")
def stats(request: pytest.FixtureRequest) -> Iterator[Stats]:
    collected = Stats()
    yield collected
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(collected.by_status.items()))
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nfuzz: {len(collected.operations)} operations, {collected.cases} cases, "
                f"{collected.requests} requests (by status {statuses})"
            )


# ----------------------------------------------------------------------------------------------------
# The rules every response obeys.


def _is_final_replay() -> bool:
    """Whether Hypothesis is replaying the minimal failing example, the one it reports."""
    try:
        return bool(current_build_context().is_final)
    except InvalidArgument:  # outside Hypothesis: always describe
        return True


def _readable(line: str) -> str:
    """A JSON log record with its traceback unescaped; any other line as it is."""
    try:
        record = json.loads(line)
    except ValueError:
        return line
    if not isinstance(record, dict):
        return line
    trace = next((v for v in record.values() if isinstance(v, str) and "Traceback" in v), None)
    return line if trace is None else f"{record.get('message', '')}\n{trace}"


def _log_since(server: Server, offset: int, limit: int = 12_000) -> str:
    """What the server logged since `offset`: this request's traceback, if it had one."""
    time.sleep(0.1)  # let the server finish writing
    with server.log_path.open("rb") as log:
        log.seek(offset)
        text = "\n".join(_readable(line) for line in log.read().decode(errors="replace").splitlines())
    if len(text) > limit:
        text = f"{text[: limit // 2]}\n[...]\n{text[-limit // 2 :]}"
    return text


def describe(case: Case, response: Response, server: Server, log_offset: int) -> str:
    """The request, the response and the server's log for it: enough to reproduce and diagnose."""
    if not _is_final_replay():
        return ""  # shrinking: only the minimal example is worth reading the log for
    request = response.request
    body = request.body
    if isinstance(body, bytes):
        body = body.decode(errors="replace")
    return (
        f"\n{request.method} {request.url}"
        f"\nrequest headers: {dict(request.headers)}"
        f"\nrequest body: {body!r}"
        f"\n-> {response.status_code} {dict(response.headers)}"
        f"\nresponse body: {response.text!r}"
        f"\nreproduce: {case.as_curl_command()}"
        f"\nserver log for this request:\n{_log_since(server, log_offset)}"
    )


def violation(response: Response) -> str | None:
    """Why this response breaks the rules, or None: below 500, and a 4xx is RFC 9457 problem details."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if status < 400:
        return None
    content_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    if content_type != "application/problem+json":
        return f"{status} with Content-Type {content_type!r}, not application/problem+json"
    try:
        problem = json.loads(response.content)
    except ValueError:
        return f"{status} body is not JSON"
    if not isinstance(problem, dict):
        return f"{status} problem is not a JSON object"
    missing = [name for name in PROBLEM_FIELDS if name not in problem]
    if missing:
        return f"{status} problem lacks {missing}"
    if not isinstance(problem["code"], str) or not problem["code"]:
        return f"{status} problem code {problem['code']!r} is not a string"
    if problem["status"] != status:
        return f"problem status {problem['status']!r} differs from the HTTP status {status}"
    errors = problem.get("errors")
    if errors is not None and not (
        isinstance(errors, list)
        and all(isinstance(e, dict) and {"field", "message"} <= e.keys() for e in errors)
    ):
        return f"{status} problem errors {errors!r} are not [{{field, message}}, ...]"
    return None


# ----------------------------------------------------------------------------------------------------
# The three ways each case is sent.


def _without_credentials(case: Case) -> Any:
    headers = case.headers.copy()
    for name in CREDENTIAL_HEADERS:
        headers.pop(name, None)
    return headers


def authenticated(case: Case, owner: Staff) -> Case:
    derived = case.derive(headers=_without_credentials(case))
    derived.headers.update(owner.headers)
    return derived


def _point_at_known(fields: dict[str, Any], world: World) -> bool:
    """Point the id fields at real rows, in place; whether any was changed."""
    changed = False
    for name, kind in KNOWN_FIELDS.items():
        value = fields.get(name)
        if isinstance(value, kind) and not isinstance(value, bool):
            fields[name] = world.known[name]
            changed = True
    if isinstance(fields.get("resourceIds"), list) and fields["resourceIds"]:
        fields["resourceIds"] = [world.known["resourceId"]]
        changed = True
    return changed


def with_known_ids(case: Case, world: World) -> Case | None:
    """The authenticated case with its ids, slugs and tokens naming real rows; None when it names none."""
    derived = authenticated(case, world.owner)
    params = {name: world.known.get(name, value) for name, value in derived.path_parameters.items()}
    changed = params != derived.path_parameters
    derived.path_parameters = params
    query = dict(derived.query)
    changed |= _point_at_known(query, world)
    derived.query = query
    if isinstance(derived.body, dict):
        body = dict(derived.body)
        changed |= _point_at_known(body, world)
        derived.body = body
    return derived if changed else None


@pytest.fixture(autouse=True)
def _schemathesis_pytest9_shim(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32 relabels the running item through `Node._nodeid`, which pytest 9 no longer has."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("fuzz_schema")


@schema.parametrize()
def test_no_server_errors_and_problem_details(
    case: Case, server: Server, worlds: Worlds, session: requests.Session, stats: Stats
) -> None:
    stats.cases += 1
    stats.operations.add(case.operation.label)
    world = worlds.for_operation(case.operation.label, case.path)
    variants = [case, authenticated(case, world.owner)]
    known = with_known_ids(case, world)
    if known is not None:
        variants.append(known)
    for variant in variants:
        log_offset = server.log_path.stat().st_size
        response = variant.call(session=session, timeout=30)
        stats.record(response.status_code)
        broken = violation(response)
        assert broken is None, f"{broken}{describe(variant, response, server, log_offset)}"
        try:  # and the response is what the document says: its status, content type, headers and body
            variant.validate_response(response, checks=CONFORMANCE)
        except AssertionError as failed:
            raise AssertionError(f"{failed}{describe(variant, response, server, log_offset)}") from None
