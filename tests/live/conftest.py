import pytest


@pytest.fixture
def fast_password_hashing() -> None:
    """Users here log in on server processes, which use the real password hashers."""
