"""Driver errors turned into domain errors, by SQLSTATE and constraint name."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from domain.errors import (
    AlreadyExists,
    CapacityConflict,
    Contention,
    DomainError,
    InvalidInput,
    NotFound,
    ReferenceCollision,
    Unavailable,
)

# SQLSTATEs: unique_violation, exclusion_violation, foreign_key_violation, check_violation.
UNIQUE, EXCLUSION, FOREIGN_KEY, CHECK = "23505", "23P01", "23503", "23514"
DATA_EXCEPTION = "22"
# Connection failures, shutdown, too many connections, statement or lock timeouts: try again.
RETRYABLE_PREFIXES = ("08", "57P", "53")
TIMEOUTS = {"57014", "55P03"}
# deadlock_detected, serialization_failure: the transaction was undone whole, so running it again is safe.
CONTENTION = {"40P01", "40001"}
UNIQUE_MESSAGES = {
    "uq_users_email_lower": "an account with that e-mail already exists",
    "uq_organisations_slug": "that slug is taken",
    "pk_memberships": "that user is already a member",
}


def _sqlstate(error: DBAPIError) -> str | None:
    orig = error.orig
    for candidate in (orig, getattr(orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if code:
            return str(code)
    return None


def _constraint(error: DBAPIError) -> str:
    cause = getattr(error.orig, "__cause__", None)
    return str(getattr(cause, "constraint_name", None) or "")


def _client_side(error: Exception) -> bool:
    """asyncpg lost track of its connection (a query cut off mid-way): the connection is unusable."""
    orig = getattr(error, "orig", None)
    return any(
        isinstance(e, asyncpg.InternalClientError) for e in (error, orig, getattr(orig, "__cause__", None))
    )


def translate_driver(error: Exception) -> DomainError:
    """The domain error an asyncpg error (raised outside SQLAlchemy) means for the caller."""
    return _translate(
        getattr(error, "sqlstate", None), str(getattr(error, "constraint_name", None) or ""), error
    )


def translate(error: DBAPIError) -> DomainError:
    """The domain error a database failure means for the caller."""
    return _translate(_sqlstate(error), _constraint(error), error)


def _translate(state: str | None, constraint: str, error: Exception) -> DomainError:
    if state in CONTENTION:
        return Contention("the database was busy with a conflicting change; try again")
    if state == EXCLUSION or constraint == "reservation_allocations_capacity":
        return CapacityConflict("not enough free capacity for the requested time")
    if state == UNIQUE and constraint == "uq_reservations_reference":
        return ReferenceCollision("the reference is taken; draw another")
    if state == UNIQUE:
        return AlreadyExists(UNIQUE_MESSAGES.get(constraint, "that already exists"))
    if state == FOREIGN_KEY:
        return NotFound("a referenced record does not exist")
    if state == CHECK:
        return InvalidInput("a value is out of range", constraint or None)
    if state is not None and state.startswith(DATA_EXCEPTION):
        # e.g. a NUL character in text, which PostgreSQL cannot store: the request was bad, nothing changed
        return InvalidInput(
            "a value cannot be stored: text must not contain NUL characters, numbers stay in range"
        )
    if (
        _client_side(error)
        or isinstance(error, OperationalError | InterfaceError | ConnectionError)
        or (state is not None and (state.startswith(RETRYABLE_PREFIXES) or state in TIMEOUTS))
    ):
        return Unavailable("the database is unavailable or busy; try again")
    raise error


@asynccontextmanager
async def translated() -> AsyncIterator[None]:
    """Run database work, raising domain errors for what the caller can act on."""
    try:
        yield
    except DBAPIError as error:
        raise translate(error) from error
    except asyncpg.PostgresError as error:  # raised on the raw connections of the hot paths
        raise translate_driver(error) from error
    except (OSError, ConnectionError, asyncpg.InterfaceError, asyncpg.InternalClientError) as error:
        raise Unavailable("the database is unreachable; try again") from error
