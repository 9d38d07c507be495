"""What each measurement sends: endpoint plans, paging probes and the soak mix."""

from urllib.parse import urlencode

from bench.load import Endpoint, Request, json_request
from bench.report import LOGIN
from bench.seed import API, Account

POST_TITLE = "Posted by the benchmark"
PAGE = 100
DEEP_ROWS = 10_000


def endpoints(owner: Account, owner_token: str, superuser_token: str) -> list[Endpoint]:
    """The issue's operations, in the order of its targets table."""
    ids = owner.item_ids[:PAGE]
    login_form = urlencode({"username": owner.email, "password": owner.password})
    return [
        Endpoint("GET /users/me", [Request("GET", f"{API}/users/me", owner_token)]),
        Endpoint(
            "GET /items/{id}",
            [Request("GET", f"{API}/items/{item_id}", owner_token) for item_id in ids],
        ),
        Endpoint(
            "GET /items/ (100 rows)",
            [Request("GET", f"{API}/items/?limit={PAGE}", owner_token)],
        ),
        Endpoint(
            "GET /users/ (100 rows, superuser)",
            [Request("GET", f"{API}/users/?limit={PAGE}", superuser_token)],
        ),
        Endpoint(
            "POST /items/",
            [
                json_request(
                    "POST",
                    f"{API}/items/",
                    owner_token,
                    {"title": POST_TITLE, "description": "load test"},
                )
            ],
        ),
        Endpoint(
            "PUT /items/{id}",
            [
                json_request(
                    "PUT",
                    f"{API}/items/{item_id}",
                    owner_token,
                    {"title": f"Updated item {number}", "description": "load test"},
                )
                for number, item_id in enumerate(ids)
            ],
        ),
        Endpoint(
            LOGIN,
            [
                Request(
                    "POST",
                    f"{API}/login/access-token",
                    None,
                    "application/x-www-form-urlencoded",
                    login_form,
                )
            ],
            slow=True,
        ),
    ]


def deep_skip(owner_rows: int) -> int:
    """10,000 rows deep into the owner's team; where it has fewer (a tenth of 10k
    items), the last full page."""
    return min(DEEP_ROWS, owner_rows - PAGE)


def growth_probes(
    owner_token: str, superuser_token: str, team_id: str | None, deep_cursor: str
) -> list[Endpoint]:
    """The owner's first page; a superuser's first page of the owner's team, which they
    are not in (their reach audited; in an app from before teams, `team_id` is None and
    they list every item); and the owner's page 10,000 rows deep, reached as a client
    reaches it: by cursor."""
    page = f"{API}/items/?limit={PAGE}"
    in_team = f"{page}&{urlencode({'team_id': team_id})}" if team_id else page
    deep = f"{page}&{urlencode({'cursor': deep_cursor})}"
    return [
        Endpoint("owner's first page", [Request("GET", page, owner_token)]),
        Endpoint("superuser's first page", [Request("GET", in_team, superuser_token)]),
        Endpoint(
            "owner, 10,000 rows deep (cursor)", [Request("GET", deep, owner_token)]
        ),
    ]


def soak_mix(owner: Account, owner_token: str, superuser_token: str) -> list[Request]:
    """A read-heavy mix: per 20 requests, 6 me, 5 item, 4 list, 2 create, 2 update, 1 users."""
    plans = {
        endpoint.name: list(endpoint.plan)
        for endpoint in endpoints(owner, owner_token, superuser_token)
    }
    weights = {
        "GET /users/me": 6,
        "GET /items/{id}": 5,
        "GET /items/ (100 rows)": 4,
        "POST /items/": 2,
        "PUT /items/{id}": 2,
        "GET /users/ (100 rows, superuser)": 1,
    }
    mix: list[Request] = []
    for round_number in range(len(owner.item_ids[:PAGE])):
        for name, weight in weights.items():
            plan = plans[name]
            for repeat in range(weight):
                mix.append(plan[(round_number * weight + repeat) % len(plan)])
    return mix
