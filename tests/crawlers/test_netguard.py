from __future__ import annotations

import pytest

from app.crawlers.netguard import is_public_address, parse_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "::10.0.0.1",  # IPv4-compatible
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata address
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo carrying 127.0.0.1
    ],
)
def test_private_and_special_addresses_are_refused(address: str) -> None:
    assert not is_public_address(parse_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "103.10.66.1", "2606:4700:4700::1111", "2002:808:808::"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(parse_address(address))
