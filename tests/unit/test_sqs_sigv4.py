"""AWS Signature Version 4 against AWS's published test suite (aws-sig-v4-test-suite, 2015-08-30,
AKIDEXAMPLE, region us-east-1, service "service"): the signatures must match exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from amazon_odoo_sync.amazon.sqs import AwsCredentials, region_from_queue_url, sign_v4
from amazon_odoo_sync.exceptions import ConfigurationError

WHEN = datetime(2015, 8, 30, 12, 36, 0, tzinfo=UTC)
CREDENTIALS = AwsCredentials(access_key_id="AKIDEXAMPLE",
                             secret_access_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
SCOPE = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
#: post-sts-token/post-sts-header-before: the token is sent and signed.
STS_TOKEN = ("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTf"
             "lfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9"
             "HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKT"
             "r4rvx3iSIlTJabIQwj2ICCR/oLxBA==")


def sign(method: str, url: str, headers: dict[str, str] | None = None,
         credentials: AwsCredentials = CREDENTIALS, when: datetime = WHEN) -> dict[str, str]:
    return sign_v4(method=method, url=url, headers=headers or {}, body=b"", credentials=credentials,
                   region="us-east-1", service="service", when=when)


@pytest.mark.parametrize(("case", "method", "url", "headers", "signed", "signature"), [
    ("get-vanilla", "GET", "https://example.amazonaws.com/", {}, "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("post-vanilla", "POST", "https://example.amazonaws.com/", {}, "host;x-amz-date",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ("post-vanilla-query", "POST", "https://example.amazonaws.com/?Param1=value1", {}, "host;x-amz-date",
     "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
    ("post-header-key-sort", "POST", "https://example.amazonaws.com/", {"My-Header1": "value1"},
     "host;my-header1;x-amz-date", "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
    ("post-header-value-case", "POST", "https://example.amazonaws.com/", {"My-Header1": "VALUE1"},
     "host;my-header1;x-amz-date", "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
    ("get-header-value-trim", "GET", "https://example.amazonaws.com/",
     {"My-Header1": " value1", "My-Header2": ' "a   b   c"'}, "host;my-header1;my-header2;x-amz-date",
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    ("get-utf8", "GET", "https://example.amazonaws.com/\u1234", {}, "host;x-amz-date",
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
])
def test_published_test_vectors(case: str, method: str, url: str, headers: dict[str, str], signed: str,
                                signature: str) -> None:
    added = sign(method, url, headers)
    assert added["X-Amz-Date"] == "20150830T123600Z"
    assert added["Authorization"] == (f"AWS4-HMAC-SHA256 {SCOPE}, SignedHeaders={signed}, "
                                      f"Signature={signature}"), case


def test_session_token_is_sent_and_signed() -> None:
    with_token = AwsCredentials(access_key_id="AKIDEXAMPLE", secret_access_key=CREDENTIALS.secret_access_key,
                                session_token=STS_TOKEN)
    added = sign("POST", "https://example.amazonaws.com/", credentials=with_token)
    assert added["X-Amz-Security-Token"] == STS_TOKEN
    assert added["Authorization"].endswith(
        "SignedHeaders=host;x-amz-date;x-amz-security-token, "
        "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead")


def test_time_is_taken_in_utc_and_a_change_changes_the_signature() -> None:
    local = WHEN.astimezone(timezone(timedelta(hours=2)))
    assert sign("GET", "https://example.amazonaws.com/", when=local) == sign("GET", "https://example.amazonaws.com/")
    later = sign("GET", "https://example.amazonaws.com/", when=WHEN + timedelta(seconds=1))
    assert later["Authorization"] != sign("GET", "https://example.amazonaws.com/")["Authorization"]


def test_secrets_stay_out_of_repr_and_headers() -> None:
    creds = AwsCredentials(access_key_id="AKID", secret_access_key="SUPERSECRET", session_token="TOKENSECRET")
    assert "SUPERSECRET" not in repr(creds) and "TOKENSECRET" not in repr(creds)
    added = sign("GET", "https://example.amazonaws.com/", credentials=creds)
    assert "SUPERSECRET" not in str(added)


def test_credentials_from_environment() -> None:
    assert AwsCredentials.from_env({}) is None
    creds = AwsCredentials.from_env({"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "s",
                                     "AWS_SESSION_TOKEN": "t"})
    assert creds == AwsCredentials(access_key_id="AKID", secret_access_key="s", session_token="t")
    with pytest.raises(ConfigurationError, match="AWS_SECRET_ACCESS_KEY"):
        AwsCredentials.from_env({"AWS_ACCESS_KEY_ID": "AKID"})


@pytest.mark.parametrize(("url", "region"), [
    ("https://sqs.eu-west-1.amazonaws.com/123456789012/aos", "eu-west-1"),
    ("https://us-east-2.queue.amazonaws.com/123456789012/aos", "us-east-2"),
    ("https://sqs.cn-north-1.amazonaws.com.cn/123456789012/aos", "cn-north-1"),
    ("http://spapi.sim/_sqs/123456789012/aos", None),
    ("http://localhost:9324/000000000000/aos", None),
])
def test_region_from_queue_url(url: str, region: str | None) -> None:
    assert region_from_queue_url(url) == region
