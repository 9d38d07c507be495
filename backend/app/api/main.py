from fastapi import APIRouter

from app.api.routes import audit, items, login, private, users, utils
from app.core.config import Settings


def build_api_router(settings: Settings) -> APIRouter:
    api_router = APIRouter()
    api_router.include_router(login.router)
    api_router.include_router(users.router)
    api_router.include_router(utils.router)
    api_router.include_router(items.router)
    api_router.include_router(audit.router)
    if settings.ENVIRONMENT == "local":
        api_router.include_router(private.router)
    return api_router
