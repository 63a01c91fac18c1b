"""Schemathesis against /schema/openapi.json, for a staff, a coordinator and an attendee token (and
none, and a revoked one), on each engine: no server error, every response as the document says
(status documented, content type, body schema, headers), schema-invalid input refused with a 4xx.

Schemathesis generates the requests from the app's own OpenAPI document (valid ones, and ones
that break the schema); they are sent through the app in the test's event loop with httpx and
checked by schemathesis' own checks. About half the cases use ids that exist (the demo data), so
the operations are reached past "404 No such item". BOOKING_FUZZ_SCALE multiplies the examples
(see benchmarks/fuzz.py for a longer run).
"""

from __future__ import annotations

import copy
import os

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from booking.accounts.api_tokens import actor_for_api_token, create_api_token, revoke_api_token
from booking.accounts.secrets_util import hash_token
from booking.accounts.tables import ApiToken, User
from booking.catalog.tables import Offering
from booking.demo import load_demo_data
from booking.scheduling.tables import Registration
from tests.api_helpers import future_session
from tests.fuzz.form_fuzzer import HOSTILE

HOSTILE_VALUES = [value for values in HOSTILE.values() for value in values] + [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    1e308,
    -1,
    2**63,
    None,
    [],
    {},
]

SCALE = int(os.environ.get("BOOKING_FUZZ_SCALE", "1"))
EXAMPLES = 150 * SCALE
TOKEN_OWNERS = {
    "staff": "staff@scoe.example",
    "coordinator": "coordinator@egusd.example",
    "attendee": "teacher@egusd.example",
}
# Who sends each request: the three tokens twice as often as no token or a revoked one.
ROLE_DRAWS = ["staff", "staff", "coordinator", "coordinator", "attendee", "attendee", "anonymous", "revoked"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
BASE_URL = "http://testserver.local"


class World:
    """The demo data, tokens for three roles, and the ids that exist (filled once per test)."""

    schema = None
    strategies: dict[str, list] = {}  # operation -> strategies of cases for it
    headers: dict[str, dict[str, str]] = {}
    client = None  # the test client the world was prepared for
    statuses: dict[str, dict[str, set[int]]] = {}  # engine -> operation -> statuses answered
    valid_bodies: dict = {}
    known: dict[str, list[int]] = {}
    roles: dict[str, set[str]] = {}


WORLD = World()


async def _prepare(client) -> None:
    await load_demo_data()
    WORLD.headers = {"anonymous": {}}
    for role, email in TOKEN_OWNERS.items():
        user = await User.select(User.id).where(User.email == email).first()
        WORLD.headers[role] = {"Authorization": f"Bearer {await create_api_token(user['id'], 'fuzz')}"}
    staff = await User.select(User.id).where(User.email == TOKEN_OWNERS["staff"]).first()
    revoked = await create_api_token(staff["id"], "revoked")
    token_row = await ApiToken.select(ApiToken.id).where(ApiToken.token_hash == hash_token(revoked)).first()
    await revoke_api_token(await actor_for_api_token(revoked), token_row["id"])
    WORLD.headers["revoked"] = {"Authorization": f"Bearer {revoked}"}
    document = await client.get("/schema/openapi.json")
    assert document.status_code == 200, document.text[:300]
    WORLD.schema = schemathesis.openapi.from_dict(document.json())
    known = {
        "offering_id": [row["id"] for row in await Offering.select(Offering.id).order_by(Offering.id).limit(4)],
        "registration_id": [
            row["id"] for row in await Registration.select(Registration.id).order_by(Registration.id).limit(4)
        ],
        "person_id": [
            row["id"] for row in await User.select(User.id).where(User.email.is_in(list(TOKEN_OWNERS.values())))
        ],
    }
    session = future_session(days=40)
    valid_bodies = {  # one valid body per operation that takes one, so the fuzz also reaches the 2xx paths
        ("POST", "/api/v1/offerings"): {
            "kind": "workshop",
            "title": "Fuzzed workshop",
            "capacity": 5,
            "price_cents": 0,
            "sessions": [session],
            "status": "published",
            "pd_hours": "1.5",
        },
        ("POST", "/api/v1/offerings/{offering_id}/registrations"): {
            "attendee": {"email": "new.teacher@egusd.example", "name": "New Teacher"},
            "payer": "district",
            "po_number": "PO-2027-001",
        },
    }
    WORLD.valid_bodies, WORLD.known = valid_bodies, known
    strategies: dict[str, list] = {}
    for result in WORLD.schema.get_all_operations():
        operation = result.ok()
        names = [parameter.name for parameter in operation.path_parameters]
        body = valid_bodies.get((operation.method.upper(), operation.path))
        options = []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            options.append(operation.as_strategy(generation_mode=mode))
            for name in names:
                for value in known[name]:
                    options.append(operation.as_strategy(generation_mode=mode, path_parameters={name: value}))
                    if body is not None and mode is GenerationMode.POSITIVE:
                        options.append(operation.as_strategy(path_parameters={name: value}, body=body))
            if body is not None and not names and mode is GenerationMode.POSITIVE:
                options += [operation.as_strategy(body=body)] * 3
        strategies[f"{operation.method.upper()} {operation.path}"] = options
    WORLD.strategies = strategies


@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=SCALE == 1,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
@given(data=st.data())
async def test_api_answers_every_generated_request_as_documented(client, engine_kind, data):
    if WORLD.client is not client:  # once per test: its own database, emptied by the `db` fixture
        await _prepare(client)
        WORLD.client = client
    operation = data.draw(st.sampled_from(sorted(WORLD.strategies)), label="operation")
    case = data.draw(st.sampled_from(WORLD.strategies[operation]).flatmap(lambda strategy: strategy), label="case")
    role = data.draw(st.sampled_from(ROLE_DRAWS), label="role")
    leaves = _leaves(case.body) if isinstance(case.body, (dict, list)) else []
    if leaves and data.draw(st.integers(0, 2), label="mutate") == 0:
        # Schema-shaped input with one value made hostile (the form fuzzer's values): what a schema
        # alone rarely generates ("NaN" PD hours, a date whose move to UTC leaves year 1..9999).
        path = data.draw(st.sampled_from(leaves), label="field")
        case.body = copy.deepcopy(case.body)  # a valid body given to as_strategy() is shared by its cases
        _set(case.body, path, data.draw(st.sampled_from(HOSTILE_VALUES), label="hostile value"))
    await send_and_check(client, engine_kind, case, role)


async def send_and_check(client, engine_kind: str, case, role: str) -> None:
    """Send a schemathesis case through the app as `role` and run schemathesis' checks on the answer."""
    headers = {**(case.headers or {}), **WORLD.headers[role]}
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
    request = {key: kwargs[key] for key in ("method", "url", "headers", "params") if kwargs.get(key) is not None}
    if kwargs.get("cookies"):
        client.cookies.clear()
        for name, value in kwargs["cookies"].items():
            client.cookies.set(name, value, domain="testserver.local")
    if "json" in kwargs:
        request["json"] = kwargs["json"]
    elif kwargs.get("data") is not None:
        request["content" if isinstance(kwargs["data"], (bytes, str)) else "data"] = kwargs["data"]
    response = await client.request(**request)
    client.cookies.clear()
    operation = f"{case.operation.method.upper()} {case.operation.path}"
    WORLD.statuses.setdefault(engine_kind, {}).setdefault(operation, set()).add(response.status_code)
    WORLD.roles.setdefault(engine_kind, set()).add(role)
    checks = CHECKS + ([negative_data_rejection] if case.meta and not case.meta.generation.mode.is_positive else [])
    case.validate_response(response, checks=checks, headers=headers, transport_kwargs={"base_url": BASE_URL})


# Who may send each valid body, for the round that makes one field of it hostile at a time.
BODY_SENDERS = {
    ("POST", "/api/v1/offerings"): "staff",
    ("POST", "/api/v1/offerings/{offering_id}/registrations"): "coordinator",
}
# One value of each kind that once crashed the app, and a few more.
FIELD_ATTACKS = [
    "a\x00b",
    "\x1b[2J",
    "²",
    "NaN",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "x" * 60_000,
    "<script>alert(1)</script>",
    2**63,
    -1,
    None,
    1e308,
    [],
    {},
]


async def test_each_field_of_a_valid_body_made_hostile_is_answered_as_documented(client, engine_kind):
    """Field by field, a valid body with one value replaced by each attack: what a schema-driven generator
    rarely produces by chance (a NUL in an otherwise valid offering reaches the database)."""
    if WORLD.client is not client:
        await _prepare(client)
        WORLD.client = client
    for result in WORLD.schema.get_all_operations():
        operation = result.ok()
        key = (operation.method.upper(), operation.path)
        if key not in WORLD.valid_bodies:
            continue
        path_parameters = {p.name: WORLD.known[p.name][0] for p in operation.path_parameters}
        for leaf in _leaves(WORLD.valid_bodies[key]):
            for attack in FIELD_ATTACKS:
                body = copy.deepcopy(WORLD.valid_bodies[key])
                _set(body, leaf, attack)
                case = operation.Case(path_parameters=path_parameters, body=body, media_type="application/json")
                await send_and_check(client, engine_kind, case, BODY_SENDERS[key])


async def test_every_operation_answers_a_valid_request_as_documented_for_every_token(client, engine_kind):
    """The deterministic round beside the random one: each operation, with an id that exists and a
    valid body, for each token (and none, and a revoked one)."""
    if WORLD.client is not client:  # once per test: its own database, emptied by the `db` fixture
        await _prepare(client)
        WORLD.client = client
    for result in WORLD.schema.get_all_operations():
        operation = result.ok()
        path_parameters = {p.name: WORLD.known[p.name][0] for p in operation.path_parameters}
        body = WORLD.valid_bodies.get((operation.method.upper(), operation.path))
        for role in sorted(WORLD.headers):
            extra = {} if body is None else {"body": copy.deepcopy(body), "media_type": "application/json"}
            case = operation.Case(path_parameters=path_parameters, **extra)
            await send_and_check(client, engine_kind, case, role)


def _leaves(value, path=()) -> list[tuple]:
    """Paths to every scalar inside a JSON body."""
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))] or ([path] if path else [])
    if isinstance(value, list):
        return [leaf for index, item in enumerate(value) for leaf in _leaves(item, (*path, index))] or (
            [path] if path else []
        )
    return [path] if path else []


def _set(body, path: tuple, value) -> None:
    for step in path[:-1]:
        body = body[step]
    body[path[-1]] = value


def test_the_api_fuzzer_reached_every_operation_with_every_role(engine_kind):
    """The fuzz above really exercised the API: each operation answered 2xx at least once (it got past
    404 and the guards with real ids) and with errors too, for each token."""
    statuses = WORLD.statuses.get(engine_kind)
    assert statuses, "the API fuzz test did not run before this one"
    operations = {f"{op.ok().method.upper()} {op.ok().path}" for op in WORLD.schema.get_all_operations()}
    print(
        f"\n[{engine_kind}] API fuzz: {EXAMPLES} examples over {len(statuses)} operations, roles "
        f"{sorted(WORLD.roles[engine_kind])}: "
        + "; ".join(f"{op} {sorted(codes)}" for op, codes in sorted(statuses.items()))
    )
    assert set(statuses) == operations
    assert WORLD.roles[engine_kind] == {"anonymous", "attendee", "coordinator", "revoked", "staff"}
    never_succeeded = [op for op, codes in statuses.items() if not any(200 <= code < 300 for code in codes)]
    assert not never_succeeded, f"never answered 2xx: {never_succeeded}"
