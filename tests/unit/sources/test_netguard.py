"""The SSRF guard's address policy, without the network (issue 11, finding 1)."""

from __future__ import annotations

import ipaddress

import pytest

from retrieval.sources.netguard import AddressRefused, Guard, literal_ip, redact, refusal_reason
from retrieval.sources.web import check_url


@pytest.mark.parametrize(
    "address, why",
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("fd12:3456::1", "unique local"),
        ("fd00:ec2::254", "metadata"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "metadata"),
        ("2002:7f00:1::", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 wrapping 10.0.0.1
    ],
)
def test_internal_addresses_are_refused(address, why):
    reason = refusal_reason(ipaddress.ip_address(address))
    assert reason and why in reason


def test_public_addresses_pass_and_the_opt_in_keeps_metadata_refused():
    for address in ("8.8.8.8", "151.101.1.69", "2a04:4e42::81"):
        assert refusal_reason(ipaddress.ip_address(address)) is None
    assert refusal_reason(ipaddress.ip_address("127.0.0.1"), allow_private=True) is None
    assert refusal_reason(ipaddress.ip_address("10.0.0.1"), allow_private=True) is None
    assert "metadata" in refusal_reason(ipaddress.ip_address("169.254.169.254"), allow_private=True)


def test_numeric_ipv4_forms_and_metadata_names_are_refused_by_check_url():
    assert literal_ip("2130706433") == ipaddress.ip_address("127.0.0.1")
    assert literal_ip("0x7f.1") == ipaddress.ip_address("127.0.0.1")
    assert literal_ip("0177.0.0.1") == ipaddress.ip_address("127.0.0.1")
    assert literal_ip("example.org") is None
    guard = Guard()
    for url in (
        "http://2130706433/",
        "http://0x7f000001/",
        "http://017700000001:8080/x",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://localhost:8000/",
        "http://10.0.0.5/admin",
    ):
        with pytest.raises(AddressRefused, match=r"points to .*(newsbot only fetches public sites|never fetches)"):
            check_url(url, guard)
    assert check_url("https://example.org/news/a.html", guard) == "https://example.org/news/a.html"


def test_credentials_in_urls_are_refused_and_never_printed():
    with pytest.raises(AddressRefused) as refused:
        check_url("https://editor:hunter2@example.org/feed.xml", Guard())
    assert "hunter2" not in str(refused.value) and "editor" not in str(refused.value)
    assert "user name or password" in str(refused.value)
    assert redact("https://a:b@example.org:8443/x?q=1") == "https://***@example.org:8443/x?q=1"


def test_deadlines_nest_to_the_sooner_and_budgets_start_per_feed():
    from retrieval.sources.deadline import Budgets, Deadline, current, within

    outer, inner = Deadline(100), Deadline(1000)
    assert current() is None
    with within(outer):
        with within(inner) as effective:
            assert effective is outer and current() is outer
        assert current() is outer
    assert current() is None
    assert Deadline(0).expired and Deadline(0).cap(5) == 0 and Deadline(50).cap(None) <= 50
    budgets = Budgets(Deadline(10), feed_seconds=1000)
    assert budgets.for_feed("a").at == budgets.refresh.at  # never beyond the refresh's own deadline
    assert budgets.for_feed("a") is budgets.for_feed("a")
