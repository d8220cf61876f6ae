"""The deterministic secret detectors: what they must catch, and ordinary text they must leave alone."""

import pytest

from server.governance.secrets import find_secrets, luhn_ok, redact
from server.governance.transient import transient_marker


@pytest.mark.parametrize(
    "text, kind",
    [
        ("key sk-proj-Ab3dEf6hIj9kLmN0pQrStUvWx is for the bot", "api_key"),
        ("AWS AKIAIOSFODNN7EXAMPLE in us-east-1", "aws_access_key"),
        ("token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 for CI", "github_token"),
        ("my password is hunter22", "password"),
        ("My password for the work laptop is Tulip$Harbor92", "password"),
        ("The wifi passcode: correct-horse-battery", "password"),
        ("card 4111 1111 1111 1111 exp 12/29", "card_number"),
        ("SSN 123-45-6789 on file", "government_id"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private_key"),
        ("db at postgres://admin:s3cr3tpw@db.internal:5432/app", "connection_password"),
        ("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "jwt"),
    ],
)
def test_secrets_are_found_and_redacted(text, kind):
    findings = find_secrets(text)
    assert kind in {f.kind for f in findings}
    cleaned = redact(text, findings)
    assert f"[REDACTED:{kind}]" in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "Order 4111 1111 1111 1112 arrives Monday",  # fails Luhn
        "Call me at 555-867-5309",
        "The meeting is in room 000-12-3456",  # invalid SSN area
        "I forgot my password again, need to reset it",
        "Prefers sk-style naming for skills",
        "Ran 10 km in 52 minutes",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert find_secrets(text) == []


def test_luhn():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")


@pytest.mark.parametrize(
    "text",
    ["Just for now, use tabs", "Reply in French for this session only", "Temporarily skip the tests",
     "Today only, assume I'm on Windows", "Use light mode for this screenshot only"],
)
def test_transient_markers(text):
    assert transient_marker(text)


@pytest.mark.parametrize(
    "text", ["Prefers tabs over spaces", "Now works at Acme", "Only for this project we use Go", "I work only for this company"]
)
def test_durable_statements_are_not_transient(text):
    assert transient_marker(text) is None
