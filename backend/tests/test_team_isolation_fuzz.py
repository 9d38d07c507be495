"""Isolation under random use: three users move between two shared teams (invited,
promoted, demoted, removed, leaving) while they create, read, change and delete
items, and list items, teams and members.

A model of who is in which team with which role predicts every answer's status; every
answer is also checked for what it shows: no item, team or member of a team the
caller is not in at that moment, and never a 5xx. Hypothesis picks the sequences
(`FUZZ_STATEFUL_EXAMPLES` runs of `FUZZ_STATEFUL_STEPS` steps; a few seconds).
"""

import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.utils.factories import API, create_team, create_user
from tests.utils.smtp import Mailbox
from tests.utils.teams import invite

EXAMPLES = int(os.environ.get("FUZZ_STATEFUL_EXAMPLES", "20"))
STEPS = int(os.environ.get("FUZZ_STATEFUL_STEPS", "30"))
RANK = {"member": 0, "admin": 1, "owner": 2}
USERS = 3
TEAMS = 2


@dataclass
class Item:
    id: str
    team: int
    creator: int


@dataclass
class Model:
    """Who is in which of the run's teams (team index -> user index -> role), and the
    items each team holds."""

    roles: list[dict[int, str]] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)

    def role(self, team: int, user: int) -> str | None:
        return self.roles[team].get(user)

    def owners(self, team: int) -> int:
        return sum(role == "owner" for role in self.roles[team].values())


def test_no_answer_shows_another_teams_data(
    client: TestClient,
    superuser_headers: dict[str, str],
    mailbox: Mailbox,
    capsys: pytest.CaptureFixture[str],
) -> None:
    users = [create_user(client, superuser_headers) for _ in range(USERS)]
    seen: Counter[str] = Counter()

    class TeamIsolation(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.model = Model()
            self.team_ids: list[str] = []
            # Users 0 and 1 own one team each; user 2 starts in neither.
            for owner in range(TEAMS):
                self.team_ids.append(create_team(client, users[owner].headers))
                self.model.roles.append({owner: "owner"})

        # Calling the API --------------------------------------------------------

        def call(self, user: int, method: str, url: str, **kwargs: Any) -> Response:
            response = client.request(
                method, f"{API}{url}", headers=users[user].headers, **kwargs
            )
            seen[f"{response.status_code}"] += 1
            assert response.status_code < 500, (method, url, response.text)
            self.check_shown(user, response)
            return response

        def check_shown(self, user: int, response: Response) -> None:
            """Nothing in the answer belongs to a run team the caller is not in."""
            if response.status_code >= 400 or not response.content:
                return
            body = response.json()
            rows = body["data"] if isinstance(body, dict) and "data" in body else [body]
            outside = {
                self.team_ids[team]
                for team in range(TEAMS)
                if self.model.role(team, user) is None
            }
            for row in rows:
                assert isinstance(row, dict)
                assert row.get("team_id") not in outside, row
                if "is_personal" in row:  # a team
                    assert row["id"] not in outside, row

        def team(self, team: int) -> str:
            return f"/teams/{self.team_ids[team]}"

        # Items ------------------------------------------------------------------

        @rule(user=st.integers(0, USERS - 1), team=st.integers(0, TEAMS - 1))
        def create_item(self, user: int, team: int) -> None:
            response = self.call(
                user,
                "POST",
                "/items/",
                params={"team_id": self.team_ids[team]},
                json={"title": "fuzzed"},
            )
            if self.model.role(team, user) is None:
                assert response.status_code == 404
                return
            assert response.status_code == 201
            assert response.json()["team_id"] == self.team_ids[team]
            self.model.items.append(Item(response.json()["id"], team, user))

        @rule(user=st.integers(0, USERS - 1), team=st.integers(0, TEAMS - 1))
        def list_items(self, user: int, team: int) -> None:
            response = self.call(
                user, "GET", "/items/", params={"team_id": self.team_ids[team]}
            )
            if self.model.role(team, user) is None:
                assert response.status_code == 404
                return
            expected = {item.id for item in self.model.items if item.team == team}
            body = response.json()
            assert {row["id"] for row in body["data"]} == expected
            assert body["count"] == len(expected)

        @rule(user=st.integers(0, USERS - 1))
        def list_personal_items(self, user: int) -> None:
            response = self.call(user, "GET", "/items/")
            assert response.status_code == 200
            assert response.json()["count"] == 0  # no rule writes there

        @precondition(lambda self: self.model.items)
        @rule(user=st.integers(0, USERS - 1), pick=st.integers(0, 10**6))
        def read_item(self, user: int, pick: int) -> None:
            item = self.model.items[pick % len(self.model.items)]
            response = self.call(user, "GET", f"/items/{item.id}")
            member = self.model.role(item.team, user) is not None
            assert response.status_code == (200 if member else 404)

        @precondition(lambda self: self.model.items)
        @rule(
            user=st.integers(0, USERS - 1),
            pick=st.integers(0, 10**6),
            delete=st.booleans(),
        )
        def change_item(self, user: int, pick: int, delete: bool) -> None:
            item = self.model.items[pick % len(self.model.items)]
            url = f"/items/{item.id}"
            if delete:
                response = self.call(user, "DELETE", url)
            else:
                response = self.call(user, "PUT", url, json={"title": "changed"})
            role = self.model.role(item.team, user)
            if role is None:
                assert response.status_code == 404
            elif role == "member" and item.creator != user:
                assert response.status_code == 403
            else:
                assert response.status_code == (204 if delete else 200)
                if delete:
                    self.model.items.remove(item)

        @rule(user=st.integers(0, USERS - 1), item_id=st.uuids())
        def read_unknown_item(self, user: int, item_id: uuid.UUID) -> None:
            assert self.call(user, "GET", f"/items/{item_id}").status_code == 404

        # Membership -------------------------------------------------------------

        @rule(
            actor=st.integers(0, USERS - 1),
            team=st.integers(0, TEAMS - 1),
            invitee=st.integers(0, USERS - 1),
            role=st.sampled_from(["member", "admin"]),
        )
        def invite_and_accept(
            self, actor: int, team: int, invitee: int, role: str
        ) -> None:
            actor_role = self.model.role(team, actor)
            if actor_role is None or RANK[actor_role] < RANK["admin"]:
                response = self.call(
                    actor,
                    "POST",
                    f"{self.team(team)}/invitations",
                    json={"email": users[invitee].email, "role": role},
                )
                assert response.status_code == (404 if actor_role is None else 403)
                return
            if self.model.role(team, invitee) is not None:
                response = self.call(
                    actor,
                    "POST",
                    f"{self.team(team)}/invitations",
                    json={"email": users[invitee].email, "role": role},
                )
                assert response.status_code == 409
                return
            token = invite(
                client,
                users[actor].headers,
                self.team_ids[team],
                users[invitee].email,
                mailbox,
                role,
            )
            seen["201"] += 1
            # A member from the moment the answer comes: it shows their new team.
            self.model.roles[team][invitee] = role
            accepted = self.call(
                invitee, "POST", "/invitations/accept", json={"token": token}
            )
            assert accepted.status_code == 200
            assert (accepted.json()["id"], accepted.json()["role"]) == (
                self.team_ids[team],
                role,
            )

        @rule(
            actor=st.integers(0, USERS - 1),
            team=st.integers(0, TEAMS - 1),
            who=st.integers(0, USERS - 1),
            role=st.sampled_from(["member", "admin", "owner"]),
        )
        def change_role(self, actor: int, team: int, who: int, role: str) -> None:
            response = self.call(
                actor,
                "PATCH",
                f"{self.team(team)}/members/{users[who].id}",
                json={"role": role},
            )
            actor_role, who_role = (
                self.model.role(team, actor),
                self.model.role(team, who),
            )
            if actor_role is None:
                expected = 404
            elif RANK[actor_role] < RANK["admin"]:
                expected = 403
            elif who_role is None:
                expected = 404
            elif who_role == role:
                expected = 200
            elif "owner" in (who_role, role) and actor_role != "owner":
                expected = 403
            elif who_role == "owner" and self.model.owners(team) == 1:
                expected = 409
            else:
                expected = 200
                self.model.roles[team][who] = role
            assert response.status_code == expected, response.text

        @rule(
            actor=st.integers(0, USERS - 1),
            team=st.integers(0, TEAMS - 1),
            who=st.integers(0, USERS - 1),
        )
        def remove_member(self, actor: int, team: int, who: int) -> None:
            response = self.call(
                actor, "DELETE", f"{self.team(team)}/members/{users[who].id}"
            )
            actor_role, who_role = (
                self.model.role(team, actor),
                self.model.role(team, who),
            )
            leaving = actor == who
            if actor_role is None or who_role is None:
                expected = 404
            elif not leaving and RANK[actor_role] < RANK["admin"]:
                expected = 403
            elif who_role == "owner" and not leaving and actor_role != "owner":
                expected = 403
            elif who_role == "owner" and self.model.owners(team) == 1:
                expected = 409
            else:
                expected = 204
                del self.model.roles[team][who]
            assert response.status_code == expected, response.text

        @rule(user=st.integers(0, USERS - 1))
        def list_teams(self, user: int) -> None:
            # Earlier runs' teams stay: walk every page, newest runs' last.
            listed, params = {}, {}
            while True:
                body = self.call(user, "GET", "/teams/", params=params).json()
                for row in body["data"]:
                    if row["id"] in self.team_ids:
                        listed[row["id"]] = row["role"]
                if body["next_cursor"] is None:
                    break
                params = {"cursor": body["next_cursor"]}
            expected = {
                self.team_ids[team]: self.model.role(team, user)
                for team in range(TEAMS)
                if self.model.role(team, user) is not None
            }
            assert listed == expected

        @rule(user=st.integers(0, USERS - 1), team=st.integers(0, TEAMS - 1))
        def list_members(self, user: int, team: int) -> None:
            response = self.call(user, "GET", f"{self.team(team)}/members")
            if self.model.role(team, user) is None:
                assert response.status_code == 404
                return
            listed = {row["user_id"]: row["role"] for row in response.json()["data"]}
            assert listed == {
                str(users[member].id): role
                for member, role in self.model.roles[team].items()
            }

        @invariant()
        def every_team_keeps_an_owner(self) -> None:
            assert all(self.model.owners(team) >= 1 for team in range(TEAMS))

    run_state_machine_as_test(
        TeamIsolation,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
            database=None,
        ),
    )
    with capsys.disabled():
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(seen.items()))
        print(f"\nstateful fuzz, {EXAMPLES} runs: {statuses}")  # noqa: T201
    assert sum(seen.values()) >= EXAMPLES
