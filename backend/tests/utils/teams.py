"""Helpers that build teams through the API: invitations and the tokens they email."""

import re

from fastapi.testclient import TestClient

from tests.utils.factories import API, LoggedInUser
from tests.utils.smtp import Mailbox


def invite(
    client: TestClient,
    headers: dict[str, str],
    team_id: str,
    email: str,
    mailbox: Mailbox,
    role: str = "member",
) -> str:
    """Invite `email` to the team; the token its email carries."""
    mailbox.clear()
    response = client.post(
        f"{API}/teams/{team_id}/invitations",
        headers=headers,
        json={"email": email, "role": role},
    )
    assert response.status_code == 201, response.text
    return emailed_invitation_token(mailbox, email)


def emailed_invitation_token(mailbox: Mailbox, email: str) -> str:
    message = mailbox.only()
    assert message["To"] == email
    found = re.search(r"/accept-invitation\?token=([\w\-]+)", Mailbox.text(message))
    assert found, Mailbox.text(message)
    return found.group(1)


def accept(client: TestClient, user: LoggedInUser, token: str) -> dict[str, object]:
    response = client.post(
        f"{API}/invitations/accept", headers=user.headers, json={"token": token}
    )
    assert response.status_code == 200, response.text
    team: dict[str, object] = response.json()
    return team


def add_member(
    client: TestClient,
    headers: dict[str, str],
    team_id: str,
    user: LoggedInUser,
    mailbox: Mailbox,
    role: str = "member",
) -> None:
    """Invite the user to the team, and accept as them."""
    accept(client, user, invite(client, headers, team_id, user.email, mailbox, role))
