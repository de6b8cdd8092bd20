"""Sign-in code tries are counted atomically: concurrent guesses get 5 tries, not more
(#11, point 8). Run on PostgreSQL too (TEST_DATABASE_URL): that is where web workers race."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.models import SignInCode, User
from portal.services.accounts.sign_in import MAX_TRIES, CodeCheck, check_code, send_code
from portal.services.people.crypto import cipher
from tests.factories import create_resident_user

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
RIGHT = "123456"
GUESSERS = 10  # within the connection pool (5 + 10 overflow)


def _user_with_code() -> int:
    user, _ = create_resident_user()
    code = send_code(db.session, user, now=NOW, digest=cipher().lookup)
    code.code_hash = cipher().lookup(f"sign-in:{user.id}:{RIGHT}")
    db.session.commit()
    return user.id


def _race(app: Flask, user_id: int, guesses: list[str]) -> tuple[list[CodeCheck], int]:
    """Each guess in its own thread and transaction, as web workers would check them; returns
    the results and how many guesses were compared with the code."""
    lookup = cipher().lookup
    compared = Counter[str]()
    lock = threading.Lock()
    start = threading.Barrier(len(guesses), timeout=10)
    results: list[CodeCheck] = []
    errors: list[BaseException] = []

    def counting(text: str) -> str:
        with lock:
            compared["n"] += 1
        return lookup(text)

    def guess(typed: str, digest: Callable[[str], str]) -> None:
        try:
            with app.app_context(), Session(db.engine) as session:
                user = session.get(User, user_id)
                start.wait()
                later = NOW + timedelta(seconds=5)
                result = check_code(session, user, typed, now=later, digest=digest)
                session.commit()
                with lock:
                    results.append(result)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=guess, args=(typed, counting)) for typed in guesses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results, compared["n"]


def test_concurrent_wrong_guesses_get_five_tries_in_all(app: Flask):
    user_id = _user_with_code()
    results, compared = _race(app, user_id, [f"{n:06d}" for n in range(GUESSERS)])
    assert compared == MAX_TRIES
    assert Counter(results) == {
        CodeCheck.WRONG: MAX_TRIES - 1,
        CodeCheck.TOO_MANY_TRIES: GUESSERS - MAX_TRIES + 1,
    }
    db.session.expire_all()
    code = db.session.scalars(select(SignInCode)).one()
    assert code.attempts == MAX_TRIES and code.used_at is None


def test_a_right_code_sent_twice_at_once_signs_in_once(app: Flask):
    user_id = _user_with_code()
    results, _ = _race(app, user_id, [RIGHT] * 4)
    assert results.count(CodeCheck.OK) == 1
    assert set(results) == {CodeCheck.OK, CodeCheck.NO_CODE}


@pytest.mark.parametrize(
    ("tries", "typed", "expected"),
    [
        (0, RIGHT, CodeCheck.OK),
        (4, RIGHT, CodeCheck.OK),  # the fifth try may still be right
        (5, RIGHT, CodeCheck.TOO_MANY_TRIES),
        (0, "000000", CodeCheck.WRONG),
        (3, "000000", CodeCheck.WRONG),
        (4, "000000", CodeCheck.TOO_MANY_TRIES),  # the fifth wrong try ends the code
    ],
)
def test_tries_are_counted_one_by_one(app: Flask, tries, typed, expected):
    user_id = _user_with_code()
    code = db.session.scalars(select(SignInCode)).one()
    code.attempts = tries
    db.session.commit()
    user = db.session.get(User, user_id)
    result = check_code(
        db.session, user, typed, now=NOW + timedelta(seconds=5), digest=cipher().lookup
    )
    assert result is expected
    db.session.commit()
    db.session.refresh(code)
    assert code.attempts == min(tries + 1, MAX_TRIES)
    assert (code.used_at is not None) == (expected is CodeCheck.OK)


def test_an_expired_code_is_not_counted(app: Flask):
    user_id = _user_with_code()
    user = db.session.get(User, user_id)
    late = NOW + timedelta(minutes=5)
    assert check_code(db.session, user, RIGHT, now=late, digest=cipher().lookup) is (
        CodeCheck.EXPIRED
    )
