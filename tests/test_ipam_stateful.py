"""Random request sequences keep the IPAM model consistent (hypothesis state machine).

Pools (top-level and child), provisioned CIDRs, VPCs, secondary CIDRs,
custom allocations and rule changes are requested at random in a small
address space, so that conflicts, exhaustion and quota failures are common.
After every step the model's books must balance; a request that fails must
leave the model exactly as it was.
"""

from __future__ import annotations

import random

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from simkit.model.ipam import IpamModel
from simkit.values.addresses import Cidr
from simkit.values.allocator import STRATEGIES
from simkit.values.errors import DomainError
from simkit.values.quotas import Quotas

OWNER, HZ, SH = "netadmin", "cn-hangzhou", "cn-shanghai"
POOL_IDS = [f"p{i}" for i in range(8)]
VPC_IDS = [f"v{i}" for i in range(4)]
#: Top-level CIDRs: blocks that often overlap each other and the base pool's 10.0.0.0/22.
TOP_CIDRS = ["10.0.4.0/22", "10.0.4.0/23", "10.0.6.0/23", "10.0.5.0/24", "10.0.0.0/21",
             "192.168.0.0/24"]
masks = st.integers(min_value=24, max_value=30)
maybe_mask = st.none() | masks
regions = st.sampled_from([None, HZ, SH])


class IpamMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.model = IpamModel(
            Quotas({"cidrs_per_pool": 3, "secondary_cidrs_per_vpc": 2,
                    "child_pools_per_pool": 3, "pool_depth": 4}),
            rng=random.Random(0))
        self.model.create_ipam(OWNER, "ipam", HZ, [SH], scopes=["lab"])
        self.model.create_pool(OWNER, "ipam", "base", region=HZ, cidrs=["10.0.0.0/22"],
                               default_mask=26)
        self.failures = 0

    # -- helpers ---------------------------------------------------------------------------
    def attempt(self, fn, *args, **kwargs):
        """Run a request; a failure must change nothing."""
        before = self.model.fingerprint()
        try:
            return fn(*args, **kwargs)
        except DomainError:
            self.failures += 1
            assert self.model.fingerprint() == before
            return None

    def pick(self, data, items):
        return data.draw(st.sampled_from(sorted(items))) if items else None

    def some_cidr(self, data, pool_id):
        """A CIDR text near the pool's space: a free block, an allocated one or a random one."""
        pool = self.model.pools.get(pool_id)
        choices = []
        if pool is not None:
            choices += [str(c) for c in pool.space.free_blocks()[:4]]
            choices += [str(c) for c in pool.space.allocations()[:4]]
        choices += ["10.0.1.0/25", "10.0.2.0/24", "10.0.0.0/26"]
        return data.draw(st.sampled_from(choices))

    # -- rules -----------------------------------------------------------------------------
    @rule(pool=st.sampled_from(POOL_IDS), cidr=st.sampled_from(TOP_CIDRS),
          scope=st.sampled_from([None, "lab"]), region=regions,
          strategy=st.sampled_from(STRATEGIES))
    def create_top_level_pool(self, pool, cidr, scope, region, strategy):
        self.attempt(self.model.create_pool, OWNER, "ipam", pool, scope=scope, region=region,
                     strategy=strategy, cidrs=[cidr], default_mask=26)

    @rule(data=st.data(), pool=st.sampled_from(POOL_IDS), region=regions,
          child_masks=st.lists(masks, max_size=3), by_cidr=st.booleans(),
          strategy=st.sampled_from(STRATEGIES))
    def create_child_pool(self, data, pool, region, child_masks, by_cidr, strategy):
        source = self.pick(data, self.model.pools)
        if source is None:
            return
        cidrs = [self.some_cidr(data, source)] if by_cidr else []
        self.attempt(self.model.create_pool, OWNER, "ipam", pool, source=source, region=region,
                     strategy=strategy, cidrs=cidrs, masks=child_masks)

    @rule(data=st.data(), mask=maybe_mask)
    def add_pool_cidr(self, data, mask):
        pool = self.pick(data, self.model.pools)
        if pool is None:
            return
        if mask is None:
            self.attempt(self.model.add_pool_cidr, OWNER, pool, cidr=self.some_cidr(data, pool))
        else:
            self.attempt(self.model.add_pool_cidr, OWNER, pool, mask=mask)

    @rule(data=st.data())
    def delete_pool_cidr(self, data):
        pool = self.pick(data, self.model.pools)
        if pool is None:
            return
        provisioned = [str(c) for c in self.model.pools[pool].space.provisioned()]
        cidr = data.draw(st.sampled_from(provisioned + ["10.0.0.0/24"]))
        self.attempt(self.model.delete_pool_cidr, OWNER, pool, cidr)

    @rule(data=st.data())
    def delete_pool(self, data):
        pool = self.pick(data, self.model.pools)
        if pool is not None:
            self.attempt(self.model.delete_pool, OWNER, pool)

    def region_for(self, data, pool):
        """Mostly the pool's region (so requests get past the region check), sometimes not."""
        region = self.model.pools[pool].region
        if region is not None and data.draw(st.integers(0, 3)):
            return region
        return data.draw(st.sampled_from([HZ, SH]))

    @rule(data=st.data(), vpc=st.sampled_from(VPC_IDS), mask=maybe_mask, by_cidr=st.booleans())
    def create_vpc(self, data, vpc, mask, by_cidr):
        pool = self.pick(data, self.model.pools)
        region = HZ if pool is None else self.region_for(data, pool)
        if pool is None:
            self.attempt(self.model.create_vpc, OWNER, vpc, region, cidr="172.16.0.0/16")
        elif by_cidr:
            self.attempt(self.model.create_vpc, OWNER, vpc, region, pool=pool,
                         cidr=self.some_cidr(data, pool))
        else:
            self.attempt(self.model.create_vpc, OWNER, vpc, region, pool=pool, mask=mask)

    @rule(data=st.data(), mask=maybe_mask)
    def associate_vpc_cidr_block(self, data, mask):
        vpc, pool = self.pick(data, self.model.vpcs), self.pick(data, self.model.pools)
        if vpc is None or pool is None:
            return
        self.attempt(self.model.associate_vpc_cidr_block, OWNER, vpc,
                     self.model.vpcs[vpc].region, pool=pool, mask=mask)

    @rule(data=st.data())
    def delete_vpc(self, data):
        vpc = self.pick(data, self.model.vpcs)
        if vpc is not None:
            self.attempt(self.model.delete_vpc, OWNER, vpc)

    @rule(data=st.data(), mask=maybe_mask, by_cidr=st.booleans())
    def create_allocation(self, data, mask, by_cidr):
        pool = self.pick(data, self.model.pools)
        if pool is None:
            return
        if by_cidr:
            self.attempt(self.model.create_allocation, OWNER, pool,
                         cidr=self.some_cidr(data, pool))
        else:
            self.attempt(self.model.create_allocation, OWNER, pool, mask=mask)

    @rule(data=st.data(), by_cidr=st.booleans())
    def delete_allocation(self, data, by_cidr):
        aid = self.pick(data, self.model.allocations)
        if aid is None:
            return
        name = str(self.model.allocations[aid].cidr) if by_cidr else aid
        self.attempt(self.model.delete_allocation, OWNER, name)

    @rule(data=st.data(), low=st.integers(20, 30), span=st.integers(-1, 6),
          default=st.none() | st.integers(20, 32))
    def update_rules(self, data, low, span, default):
        pool = self.pick(data, self.model.pools)
        if pool is not None:
            self.attempt(self.model.update_pool, OWNER, pool, min_mask=low, max_mask=low + span,
                         default_mask=default)

    # -- invariants --------------------------------------------------------------------------
    @invariant()
    def allocations_lie_in_provisioned_cidrs_without_overlap(self):
        model = self.model
        for pool in model.pools.values():
            records = [a for a in model.allocations.values() if a.pool == pool.id]
            assert sorted(a.cidr for a in records) == pool.space.allocations()
            for a in records:
                assert pool.space.provisioned_cidr_of(a.cidr) is not None
            ordered = sorted(a.cidr for a in records)
            for left, right in zip(ordered, ordered[1:], strict=False):
                assert not left.overlaps(right)

    @invariant()
    def every_child_cidr_is_an_ipam_pool_allocation_of_its_source(self):
        model = self.model
        expected = set()
        for pool in model.pools.values():
            if pool.source is not None:
                assert pool.id in model.pools[pool.source].children
                assert pool.depth == model.pools[pool.source].depth + 1
                expected |= {(pool.source, c, pool.id) for c in pool.space.provisioned()}
        actual = {(a.pool, a.cidr, a.resource) for a in model.allocations.values()
                  if a.type == "IpamPool"}
        assert actual == expected

    @invariant()
    def utilisation_is_allocated_over_provisioned(self):
        for pool in self.model.pools.values():
            u = self.model.utilisation(pool.id)
            provisioned = sum(c.size for c in pool.space.provisioned())
            allocated = sum(a.cidr.size for a in self.model.allocations.values()
                            if a.pool == pool.id)
            assert (u["provisioned_ips"], u["allocated_ips"]) == (provisioned, allocated)
            assert u["allocated_vpc_ips"] + u["allocated_custom_ips"] \
                + u["allocated_ipam_pool_ips"] == allocated
            assert u["free_ips"] == provisioned - allocated
            assert 0.0 <= u["utilisation"] <= 1.0
            assert u["utilisation"] == (allocated / provisioned if provisioned else 0.0)

    @invariant()
    def top_level_pools_of_a_scope_do_not_overlap(self):
        tops = [(p.scope, c) for p in self.model.pools.values() if p.source is None
                for c in p.space.provisioned()]
        for i, (scope, c) in enumerate(tops):
            for other_scope, d in tops[i + 1:]:
                assert scope != other_scope or not c.overlaps(d)

    @invariant()
    def vpcs_and_their_allocations_agree(self):
        model = self.model
        for vpc in model.vpcs.values():
            linked = [model.allocations[aid] for aid in vpc.allocations]
            assert all(a.type == "VPC" and a.resource == vpc.id for a in linked)
            if vpc.managed:
                assert (linked[0].cidr, linked[0].pool) == (vpc.cidr, vpc.pool)
            assert {a.cidr for a in linked} <= {vpc.cidr, *vpc.secondary}
        for a in model.allocations.values():
            if a.type == "VPC":
                assert a.id in model.vpcs[a.resource].allocations
            assert isinstance(a.cidr, Cidr)

    @invariant()
    def a_copy_has_the_same_fingerprint(self):
        assert self.model.copy().fingerprint() == self.model.fingerprint()


IpamMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=30,
                                         deadline=None)
TestIpamMachine = IpamMachine.TestCase
