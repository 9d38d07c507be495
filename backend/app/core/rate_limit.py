"""Rate limits: moving windows counted in this process's memory, or in Redis.

With `REDIS_URL` set, every instance of the backend shares one count per key. When
Redis cannot be reached the limiter fails *open to memory*: requests are not refused
because Redis is down, they are counted in the process's own memory instead (so the
limits still hold per instance) and Redis is tried again after `REDIS_RETRY_SECONDS`.
An outage of the rate-limit store must not become an outage of login.
"""

import asyncio
import logging
import math
import re
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)

# How long Redis is left alone after a failure, and how long one call may take.
REDIS_RETRY_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Rule:
    """One limit: `name` keeps its counts apart, `action` words the 429 message."""

    name: str
    limit: RateLimitItem
    action: str


def rule(name: str, limit: str, action: str) -> Rule:
    return Rule(name=name, limit=parse(limit), action=action)


# Failed logins per account; every login attempt per client IP.
LOGIN_PER_ACCOUNT = rule("login-account", "10 per 15 minutes", "failed logins")
LOGIN_PER_IP = rule("login-ip", "30 per 5 minutes", "login attempts")
PASSWORD_RECOVERY_PER_EMAIL = rule(
    "recovery-email", "3 per hour", "password recovery requests"
)
PASSWORD_RECOVERY_PER_IP = rule(
    "recovery-ip", "10 per hour", "password recovery requests"
)
SIGNUP_PER_IP = rule("signup-ip", "10 per hour", "sign-ups")
REFRESH_PER_IP = rule("refresh-ip", "60 per minute", "token refreshes")
VERIFICATION_RESEND_PER_EMAIL = rule(
    "verify-resend-email", "3 per hour", "verification emails"
)
VERIFICATION_RESEND_PER_IP = rule(
    "verify-resend-ip", "10 per hour", "verification emails"
)


class RateLimitExceeded(Exception):
    """Too many hits for one rule and key; try again after `retry_after` seconds."""

    def __init__(self, rule: Rule, retry_after: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(f"Too many {rule.action}; try again in {retry_after} {unit}")
        self.rule = rule
        self.retry_after = retry_after


def redis_storage_uri(redis_url: str) -> str:
    """`redis://host:port/db` as the `limits` async storage names it."""
    return redis_url if redis_url.startswith("async+") else f"async+{redis_url}"


def key_prefix(project_name: str) -> str:
    """Counts of different projects sharing one Redis stay apart."""
    slug = re.sub(r"[^a-z0-9]+", "-", project_name.lower()).strip("-")
    return f"{slug or 'app'}:rate-limit"


def _retry_after(reset_at: float) -> int:
    return max(1, math.ceil(reset_at - time.time()))


class RateLimiter:
    """Counts hits per (rule, key); `enabled=False` makes every check pass."""

    def __init__(
        self, *, enabled: bool, redis_url: str | None, prefix: str = "app:rate-limit"
    ) -> None:
        self.enabled = enabled
        self._prefix = prefix
        # The asyncio flavour: its expiry runs as a task of the event loop, where the
        # threaded one would start a thread for nearly every hit.
        self._memory_storage = MemoryStorage()
        self._memory = MovingWindowRateLimiter(self._memory_storage)
        self._redis_storage: RedisStorage | None = None
        self._redis: MovingWindowRateLimiter | None = None
        self._redis_down_until = 0.0
        if enabled and redis_url:
            self._redis_storage = RedisStorage(
                redis_storage_uri(redis_url),
                wrap_exceptions=True,
                key_prefix=prefix,
                connect_timeout=REDIS_TIMEOUT_SECONDS,
                stream_timeout=REDIS_TIMEOUT_SECONDS,
            )
            self._redis = MovingWindowRateLimiter(self._redis_storage)

    @property
    def uses_redis(self) -> bool:
        return self._redis is not None

    def _redis_available(self) -> MovingWindowRateLimiter | None:
        if self._redis is None or time.monotonic() < self._redis_down_until:
            return None
        return self._redis

    def _redis_failed(self, exc: Exception) -> None:
        logger.warning(
            "Rate-limit store unreachable (%s); counting in memory for %.0f s",
            exc,
            REDIS_RETRY_SECONDS,
        )
        self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS

    def _memory_key(self, rule: Rule, key: str) -> tuple[str, str]:
        return self._prefix, f"{rule.name}:{key}"

    async def hit(self, rule: Rule, key: str) -> None:
        """Count one hit; raise RateLimitExceeded when the window is already full."""
        if not self.enabled:
            return
        redis = self._redis_available()
        if redis is not None:
            try:
                if await redis.hit(rule.limit, rule.name, key):
                    return
                stats = await redis.get_window_stats(rule.limit, rule.name, key)
            except Exception as exc:  # the store failing must not fail the request
                self._redis_failed(exc)
            else:
                raise RateLimitExceeded(rule, _retry_after(stats.reset_time))
        ids = self._memory_key(rule, key)
        if not await self._memory.hit(rule.limit, *ids):
            stats = await self._memory.get_window_stats(rule.limit, *ids)
            raise RateLimitExceeded(rule, _retry_after(stats.reset_time))

    async def check(self, rule: Rule, key: str) -> None:
        """Raise RateLimitExceeded if the window is full, without counting a hit."""
        if not self.enabled:
            return
        redis = self._redis_available()
        if redis is not None:
            try:
                stats = await redis.get_window_stats(rule.limit, rule.name, key)
            except Exception as exc:  # the store failing must not fail the request
                self._redis_failed(exc)
            else:
                if stats.remaining <= 0:
                    raise RateLimitExceeded(rule, _retry_after(stats.reset_time))
                return
        ids = self._memory_key(rule, key)
        stats = await self._memory.get_window_stats(rule.limit, *ids)
        if stats.remaining <= 0:
            raise RateLimitExceeded(rule, _retry_after(stats.reset_time))

    async def close(self) -> None:
        # The memory store's expiry task belongs to this event loop: end it with it.
        timer = self._memory_storage.timer
        if timer is not None and not timer.done():
            timer.cancel()
            with suppress(asyncio.CancelledError):
                await timer
        if self._redis_storage is not None:
            # `limits` has no close(): disconnect the pool of its coredis client.
            client: Any = getattr(self._redis_storage.bridge, "storage", None)
            if client is not None:
                client.connection_pool.disconnect()
