"""The address-space allocator: examples, errors and properties."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from netaddr import IPNetwork, IPSet

from simkit.values.addresses import Cidr
from simkit.values.allocator import STRATEGIES, AddressSpace
from simkit.values.errors import DomainError


def space_of(*cidrs: str, version: int = 4, seed: int = 0) -> AddressSpace:
    space = AddressSpace(version, name="p", rng=random.Random(seed))
    for c in cidrs:
        space.add_cidr(c)
    return space


def strs(cidrs) -> list[str]:
    return [str(c) for c in cidrs]


# -- examples -----------------------------------------------------------------------


def test_26s_from_a_24_then_insufficient():
    space = space_of("198.51.100.0/24")
    got = [str(space.allocate(26)) for _ in range(4)]
    assert got == ["198.51.100.0/26", "198.51.100.64/26", "198.51.100.128/26",
                   "198.51.100.192/26"]
    with pytest.raises(DomainError) as err:
        space.allocate(26)
    assert err.value.code == "OperationDenied.AvailableCidrInsufficient"


def test_first_fills_holes_lowest_address_first():
    space = space_of("10.0.0.0/24")
    a, b, c = (space.allocate(26) for _ in range(3))
    space.release(a)
    space.release(c)
    # the free space is .0/26 and .128/25: the lowest aligned /27 is .0/27
    assert strs(space.free_blocks()) == ["10.0.0.0/26", "10.0.0.128/25"]
    assert str(space.allocate(27)) == "10.0.0.0/27"
    # a /25 only fits in the upper half
    assert str(space.allocate(25)) == "10.0.0.128/25"
    assert b in space.allocations()


def test_strategies_choose_as_documented():
    # free: 10.0.0.0/26 (small hole) and 10.0.1.0/24 (big region)
    def fresh():
        s = space_of("10.0.0.0/23")
        s.claim("10.0.0.64/26")
        s.claim("10.0.0.128/25")
        return s

    assert str(fresh().allocate(28, "first")) == "10.0.0.0/28"
    assert str(fresh().allocate(28, "best")) == "10.0.0.0/28"
    assert str(fresh().allocate(28, "last")) == "10.0.1.240/28"
    # best prefers the smallest region that fits even when it is higher
    s = space_of("10.0.0.0/23")
    s.claim("10.0.0.0/25")
    s.claim("10.0.1.0/26")
    s.claim("10.0.1.128/25")
    # free: 10.0.0.128/25 (bigger, lower) and 10.0.1.64/26 (smaller, higher)
    assert str(s.preview(28, "first")) == "10.0.0.128/28"
    assert str(s.preview(28, "best")) == "10.0.1.64/28"


def test_random_is_seeded_and_preview_matches():
    a = space_of("10.0.0.0/16", seed=5)
    b = space_of("10.0.0.0/16", seed=5)
    seq_a = [str(a.allocate(24, "random")) for _ in range(20)]
    seq_b = [str(b.allocate(24, "random")) for _ in range(20)]
    assert seq_a == seq_b
    assert len(set(seq_a)) == 20
    before = a.fingerprint()
    peek = a.preview(26, "random")
    assert a.fingerprint() == before
    assert a.allocate(26, "random") == peek


def test_random_is_uniform_over_aligned_blocks():
    # free space: one /25 (8 /28 slots... 8 blocks) and one /27 (2 slots): 10 /28 slots
    counts: dict[str, int] = {}
    rng = random.Random(1)
    for _ in range(2000):
        s = AddressSpace(name="p", rng=rng)
        s.add_cidr("10.0.0.0/24")
        s.claim("10.0.0.0/26")
        s.claim("10.0.0.96/27")
        got = str(s.allocate(28, "random"))
        counts[got] = counts.get(got, 0) + 1
    assert len(counts) == 10
    assert min(counts.values()) > 120 and max(counts.values()) < 290  # about 200 each


def test_preview_changes_nothing_and_matches_allocate():
    space = space_of("10.0.0.0/16")
    space.allocate(20)
    before = space.fingerprint()
    for strategy in ("first", "best", "last"):
        nxt = space.preview(22, strategy)
        assert space.fingerprint() == before
        copy = space.copy()
        assert copy.allocate(22, strategy) == nxt
    assert space_of("10.0.0.0/24").preview(16) is None


def test_counts_and_largest_free_block():
    space = space_of("10.0.0.0/16", "10.1.0.0/24")
    assert (space.provisioned_ips, space.allocated_ips, space.free_ips) == (65792, 0, 65792)
    assert space.largest_free_mask == 16
    space.claim("10.0.0.0/17")
    space.claim("10.0.128.0/18")
    assert space.largest_free_mask == 18
    assert space.allocated_ips == 32768 + 16384
    assert space.utilisation == pytest.approx(49152 / 65792)
    assert len(space) == 2


def test_claim_errors_say_why():
    space = space_of("10.0.0.0/24", "10.0.1.0/24")
    space.claim("10.0.0.0/26")
    with pytest.raises(DomainError, match="overlaps an existing allocation") as err:
        space.claim("10.0.0.32/27")
    assert err.value.code == "OperationDenied.CidrUnavailableInPool"
    # adjacent provisioned CIDRs are not one block
    with pytest.raises(DomainError, match="wholly inside one provisioned CIDR"):
        space.claim("10.0.0.0/23")
    with pytest.raises(DomainError, match="wholly inside one provisioned CIDR"):
        space.claim("192.0.2.0/24")


def test_adjacent_provisioned_cidrs_never_merge():
    space = space_of("10.0.0.0/25", "10.0.0.128/25")
    with pytest.raises(DomainError) as err:
        space.allocate(24)
    assert err.value.code == "OperationDenied.AvailableCidrInsufficient"
    a = space.allocate(26)
    space.release(a)
    assert strs(space.free_blocks()) == ["10.0.0.0/25", "10.0.0.128/25"]


def test_release_of_what_is_not_allocated_is_an_error():
    space = space_of("10.0.0.0/24")
    space.allocate(26)
    for bad in ("10.0.0.64/26", "10.0.0.0/27", "10.0.0.0/25"):
        before = space.fingerprint()
        with pytest.raises(DomainError) as err:
            space.release(bad)
        assert err.value.code == "ResourceNotFound.IpamPoolAllocation"
        assert space.fingerprint() == before


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("10.0.0.1/24", "InvalidParameter"),
        ("10.0.0.0/33", "InvalidParameter"),
        ("10.0.0/24", "InvalidParameter"),
        ("banana", "InvalidParameter"),
        ("10.0.0.0", "InvalidParameter"),
        ("10.0.0.0/24 ", "InvalidParameter"),
        ("\t10.0.0.0/24", "InvalidParameter"),
        ("10.0.0.0/ 24", "InvalidParameter"),
        ("2001:db8::/129", "InvalidParameter"),
        (" 2001:db8::/48", "InvalidParameter"),
        ("2001:db8::/32", "Mismatch.IpVersionAndIpamPoolIpVersion"),
    ],
)
def test_bad_cidrs_carry_the_cloud_codes(value, code):
    space = space_of("10.0.0.0/8")
    before = space.fingerprint()
    with pytest.raises(DomainError) as err:
        space.claim(value)
    assert err.value.code == code
    assert repr(value) in str(err.value) or code != "InvalidParameter"
    assert space.fingerprint() == before


@pytest.mark.parametrize("mask", [33, -1, "x", 2.5, True, "/24", " 24", "24 ", "33"])
def test_masks_out_of_range(mask):
    with pytest.raises(DomainError) as err:
        space_of("10.0.0.0/8").allocate(mask)
    assert err.value.code == "IllegalParam.CidrMask"


def test_provisioning_rules():
    space = space_of("10.0.0.0/16")
    for overlapping in ("10.0.0.0/8", "10.0.5.0/24", "10.0.0.0/16"):
        with pytest.raises(DomainError) as err:
            space.add_cidr(overlapping)
        assert err.value.code == "OperationDenied.CidrConflict"
    space.add_cidr("10.1.0.0/16")
    a = space.allocate(24)
    with pytest.raises(DomainError) as err:
        space.remove_cidr("10.0.0.0/16")
    assert err.value.code == "OperationDenied.IpamPoolAllocationExist"
    with pytest.raises(DomainError) as err:
        space.remove_cidr("10.2.0.0/16")
    assert err.value.code == "ResourceNotFound.IpamPoolCidr"
    space.remove_cidr("10.1.0.0/16")
    space.release(a)
    space.remove_cidr("10.0.0.0/16")
    assert (space.provisioned_ips, space.free_blocks(), space.provisioned()) == (0, [], [])


def test_ipv6():
    space = space_of("2001:db8::/32", version=6)
    assert str(space.allocate(48)) == "2001:db8::/48"
    assert str(space.allocate(48)) == "2001:db8:1::/48"
    assert str(space.allocate(48, "last")) == "2001:db8:ffff::/48"
    assert space.provisioned_ips == 2**96
    assert space.largest_free_mask == 34  # both /33 halves hold a /48


def test_insufficient_message_diagnoses_fragmentation():
    space = space_of("10.0.0.0/24")
    for i in range(4):
        space.claim(f"10.0.0.{64 * i}/26")
    space.release("10.0.0.0/26")
    space.release("10.0.0.128/26")
    with pytest.raises(DomainError, match="fragmentation is the cause") as err:
        space.allocate(25)
    assert err.value.details["free_ips"] == 128
    assert err.value.details["largest_free_mask"] == 26
    with pytest.raises(DomainError) as err:
        space.allocate(23)
    assert "fragmentation" not in str(err.value)


# -- properties -----------------------------------------------------------------------

# operations over a /22 provisioned as two /24s and one /23 (so boundaries matter)
PROVISIONED = ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/23"]
BASE = 0x0A000000

ops = st.lists(
    st.one_of(
        st.tuples(st.just("alloc"), st.integers(22, 30), st.sampled_from(STRATEGIES)),
        st.tuples(st.just("claim"), st.integers(21, 30), st.integers(0, 2047)),
        st.tuples(st.just("release"), st.integers(0, 50)),
    ),
    max_size=60,
)


def as_ipset(cidrs) -> IPSet:
    return IPSet(IPNetwork(str(c)) for c in cidrs)


def check_invariants(space: AddressSpace) -> None:
    prov = as_ipset(space.provisioned())
    alloc = space.allocations()
    free = space.free_blocks()
    # no address handed out twice, and allocated / free partition the provisioned space
    assert sum(c.size for c in alloc) == len(as_ipset(alloc)) == space.allocated_ips
    assert sum(c.size for c in free) == len(as_ipset(free)) == space.free_ips
    assert not (as_ipset(alloc) & as_ipset(free))
    assert as_ipset(alloc) | as_ipset(free) == prov
    # each block lies inside one provisioned CIDR and is aligned
    for c in alloc + free:
        assert c.value % c.size == 0
        assert space.provisioned_cidr_of(c) is not None
    # free blocks are maximal: no two buddies are both free inside one provisioned CIDR
    free_set = {(c.value, c.prefixlen) for c in free}
    for c in free:
        if space.provisioned_cidr_of(c) != c:
            assert (c.value ^ c.size, c.prefixlen) not in free_set
    largest = min((c.prefixlen for c in free), default=None)
    assert space.largest_free_mask == largest


def brute_first(space: AddressSpace, mask: int) -> Cidr | None:
    """What a NetBox or netaddr user writes: recompute free space per request."""
    used = as_ipset(space.allocations())
    for prov in space.provisioned():
        free = IPSet([IPNetwork(str(prov))]) - used
        for cidr in free.iter_cidrs():
            if cidr.prefixlen <= mask:
                return Cidr.parse(f"{cidr.network}/{mask}")
    return None


@settings(max_examples=150, deadline=None)
@given(ops, st.integers(0, 3))
def test_random_histories_keep_the_invariants_and_first_matches_brute_force(history, seed):
    space = space_of(*PROVISIONED, seed=seed)
    held: list[Cidr] = []
    for op in history:
        before = space.fingerprint()
        if op[0] == "alloc":
            _, mask, strategy = op
            expected = brute_first(space, mask)
            try:
                got = space.allocate(mask, strategy)
            except DomainError as err:
                assert err.code == "OperationDenied.AvailableCidrInsufficient"
                assert expected is None
                assert space.fingerprint() == before
                continue
            assert expected is not None
            if strategy == "first":
                assert got == expected
            assert got.value % got.size == 0 and got.prefixlen == mask
            held.append(got)
        elif op[0] == "claim":
            _, mask, slot = op
            size = 1 << (32 - mask)
            cidr = Cidr(4, BASE + (slot * size) % (4096 * 2), mask)
            used = as_ipset(space.allocations())
            ok = (space.provisioned_cidr_of(cidr) is not None
                  and not (IPSet([IPNetwork(str(cidr))]) & used))
            try:
                space.claim(cidr)
            except DomainError as err:
                assert err.code == "OperationDenied.CidrUnavailableInPool"
                assert not ok
                assert space.fingerprint() == before
                continue
            assert ok
            held.append(cidr)
        elif held:
            victim = held.pop(op[1] % len(held))
            # allocate-then-release restores the state exactly
            space.release(victim)
        check_invariants(space)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(24, 30), min_size=1, max_size=30), st.sampled_from(STRATEGIES))
def test_allocate_then_release_restores_exactly(masks, strategy):
    space = space_of("10.0.0.0/22", "10.0.8.0/24")
    space.claim("10.0.1.0/26")
    before = space.fingerprint()
    got = []
    for m in masks:
        try:
            got.append(space.allocate(m, strategy))
        except DomainError:
            break
    for c in reversed(got):
        space.release(c)
    assert space.fingerprint() == before
    # and in another order too (a random draw may fragment differently: stop at the first miss)
    for m in masks[: len(got)]:
        try:
            space.allocate(m, strategy)
        except DomainError:
            break
    for c in sorted(space.allocations()):
        if c != Cidr.parse("10.0.1.0/26"):
            space.release(c)
    assert space.free_blocks() == space_of_free(before)


def space_of_free(fingerprint) -> list[Cidr]:
    return [Cidr(4, s, p) for s, p in fingerprint[3]]
