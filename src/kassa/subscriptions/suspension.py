"""Suspending prepaid customers whose funds do not cover their in-advance fees."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session


def suspend_unfunded(session: Session, customer_ids: Sequence[int]) -> None:
    """Called after in-advance fees were posted to these customers, their rows held."""
    del session, customer_ids
