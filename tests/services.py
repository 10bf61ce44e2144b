"""Reaching the services some tests need: skip locally, fail under CI."""

import os

import pytest


def services_required() -> bool:
    """Whether a missing service must fail the run (CI sets SHOPHUB_REQUIRE_SERVICES=1)."""
    return os.environ.get("SHOPHUB_REQUIRE_SERVICES") == "1"


def require_service(reason: str) -> None:
    """Skip the test with `reason`, or fail it when services are required."""
    if services_required():
        pytest.fail(f"required service unavailable: {reason}", pytrace=False)
    pytest.skip(reason)
