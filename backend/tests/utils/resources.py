"""The user-owned resources, for the tests that cover every one of them alike (the
authorization matrix, the list kit): a collection's path and a body that creates a row.

Every owned resource answers its five routes as items do: its own rows for a user,
everyone's for a superuser, and another user's row is absent (404), not forbidden.
"""

from dataclasses import dataclass
from typing import Any

from tests.utils.factories import API


@dataclass(frozen=True)
class Owned:
    path: str
    create: dict[str, Any]


OWNED: dict[str, Owned] = {
    "item": Owned(f"{API}/items", {"title": "New"}),
}
