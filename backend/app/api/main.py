from fastapi import APIRouter

from app.api.routes import (
    audit,
    identities,
    items,
    jobs,
    login,
    oidc,
    private,
    sessions,
    teams,
    two_factor,
    users,
    utils,
)
from app.core.config import Settings


def api_routers(settings: Settings) -> list[APIRouter]:
    """The API's routers, each included straight into the app under `/api/v1`.

    Not nested under one parent router: each level of nesting makes every request
    match its path again. The most requested first: a request is matched against
    the routers in this order.
    """
    routers = [
        items.router,
        users.router,
        login.router,
        teams.router,
        teams.invitations_router,
        two_factor.router,
        sessions.router,
        oidc.router,
        identities.router,
        utils.router,
        audit.router,
        jobs.router,
    ]
    if settings.ENVIRONMENT == "local":
        routers.append(private.router)
    return routers


# The order of the sections in the API docs (the routers are included in another).
OPENAPI_TAGS = [
    {
        "name": "login",
        "description": "Tokens: log in (with a password or at a provider, and a "
        "second factor), refresh, log out, reset a password.",
    },
    {
        "name": "users",
        "description": "Accounts: one's own (linked providers, two-factor "
        "authentication, sessions), and all of them for a superuser.",
    },
    {
        "name": "items",
        "description": "Items: a team's, for its members.",
    },
    {
        "name": "teams",
        "description": "Teams: shared workspaces, their members, roles and invitations.",
    },
    {"name": "audit", "description": "The security event log (superuser)."},
    {"name": "jobs", "description": "Background jobs: state, and retry (superuser)."},
    {"name": "utils", "description": "Health, readiness and a test email."},
    {"name": "private", "description": "Local development only."},
]
