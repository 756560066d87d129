"""Random histories of the whole engine never reach a wrong state (hypothesis state machine).

Every kind of account (the management account, IPAM owners, members in folders, external
accounts) requests, at random and in a small address space: organisation changes,
resource shares, invitations accepted and rejected, pools, CIDRs, VPCs, allocations,
releases, deletions, rule and auto import changes, list operations and clock moves (with
generated demand running in between).  After every step:

* no two allocations of a pool overlap, and each lies in a provisioned CIDR of the pool;
* a child pool's CIDRs lie in its source's provisioned CIDRs, as IpamPool allocations;
* utilisation is allocated over provisioned IPs, counted here from the records;
* every pool action an account completed is in its column of the permission matrix
  (decided here from ``MATRIX`` rows, not by ``decide()``), and a refused one got the
  documented code (``ResourceNotFound.IpamPool`` unseen, ``Forbidden`` not granted);
* ``list_ipam_pools`` shows each account exactly the pools it owns or sees through an
  active share (visibility worked out here from shares, invitations and folders);
* a step that fails changes nothing (the simulation's fingerprint is unchanged);
* the event log only grows, in time order, and the clock never goes back.

At the end of every history the simulation is saved and restored: the copy has the
same fingerprint and log, and runs on exactly as the original does.

The budget is the hypothesis profile's (tests/conftest.py): 200 histories of 50 steps
in ``make test``, more in ``make soak``.
"""

from __future__ import annotations

import contextlib
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from simkit.analysis.history import access_now
from simkit.engine import DEFAULT_START, Simulation
from simkit.model.permissions import MATRIX
from simkit.scenario import DemandSpec
from simkit.values.addresses import Cidr
from simkit.values.errors import ERROR_CODES, DomainError
from simkit.values.quotas import QUOTAS

MGMT, NET, OPS, SHOP, DEV, PARTNER, GUEST = "mgmt", "net", "ops", "shop", "dev", "partner", \
    "guest"
ACCOUNTS = [MGMT, NET, OPS, SHOP, DEV, PARTNER, GUEST]
R1, R2 = "r1", "r2"
POOL_IDS = ["n-top", "s-top", "c1", "c2", "c3", "c4", "ghost"]
VPC_IDS = ["v1", "v2", "v3", "v4"]
SHARE_IDS = ["rs1", "rs2", "rs3"]
ALLOCATION_NAMES = [None, None, "res-a", "res-b"]
#: Share targets, the valid ones three times over the two that do not exist.
PRINCIPALS = ["rd", "folder:Business", "folder:Business/Retail", "folder:Root", NET, OPS,
              SHOP, DEV, PARTNER, GUEST, f"account:{PARTNER}"] * 3
# undeclared accounts and folders are usage errors of sim.do (tests/test_operations.py)
FOLDERS = ["Root", "Business", "Business/Retail", "Retail"]
EXTRA_CIDRS = ["10.0.0.0/26", "10.0.1.0/24", "10.0.2.0/25", "10.0.3.192/26", "10.0.0.1/26",
               "192.0.2.0/24"]
DURATIONS = [timedelta(minutes=30), timedelta(hours=6), timedelta(days=1), timedelta(days=3),
             timedelta(days=8)]

#: The rows of the permission matrix, read here to decide what each account may do.
ROWS = {row.action: row for row in MATRIX}

masks = st.integers(min_value=23, max_value=30)


def build() -> Simulation:
    """A company with two IPAM owners, members in folders, externals and two demand streams."""
    sim = Simulation(seed=11, management_account=MGMT, quotas={
        "cidrs_per_pool": 3, "secondary_cidrs_per_vpc": 2, "child_pools_per_pool": 3,
        "pool_depth": 4, "shares_per_pool": 2, "pools_shared_per_account": 3,
        "resources_per_request": 2, "principals_per_request": 3})
    org = sim.org
    org.add_folder("Business")
    org.add_folder("Business/Retail")
    org.add_account(NET)
    org.add_account(OPS)
    org.add_account(SHOP, "Business")
    org.add_account(DEV, "Business/Retail")
    org.add_external(PARTNER)
    org.add_external(GUEST)
    sim.do(NET, "create_ipam", ipam="ipam-n", region=R1, operating_regions=[R2])
    sim.do(NET, "create_ipam_pool", ipam="ipam-n", pool="n-top", region=R1,
           cidrs=["10.0.0.0/22"], rules={"default_mask": 26})
    sim.do(SHOP, "create_ipam", ipam="ipam-s", region=R1)
    sim.do(SHOP, "create_ipam_pool", ipam="ipam-s", pool="s-top", region=R1,
           cidrs=["10.0.0.0/23"], strategy="random", rules={"min_mask": 24, "default_mask": 27})
    sim.add_demand(DemandSpec(1, 0, NET, "n-top", ((27, 0.5), (28, 0.5)), count=40, every=None,
                              rate=2 / 86400, begin=DEFAULT_START, lifetime=timedelta(days=2)))
    sim.add_demand(DemandSpec(2, 0, SHOP, "s-top", ((26, 1.0),), count=20,
                              every=timedelta(hours=20), rate=None, begin=DEFAULT_START))
    return sim


def reaches(sim: Simulation, account: str, share) -> bool:
    """Whether the principals of ``share`` cover ``account`` now, worked out independently.

    A share covers a member through ``rd``, a folder holding it (sub-folders included) or
    its own account; an external account only through its own account, once it accepted
    the invitation.  The share's status is not considered.
    """
    member = sim.org.is_member(account)
    folder = sim.org.folder_of(account) if member else None
    accepted = {i.share for i in sim.shares.invitations(account) if i.status == "Accepted"}
    for p in share.principals:
        if p.kind == "rd":
            covered = member
        elif p.kind == "folder":
            covered = member and (p.value == "Root" or folder == p.value
                                  or folder.startswith(p.value + "/"))
        else:
            covered = p.value == account and (member or share.id in accepted)
        if covered:
            return True
    return False


def visible_pools(sim: Simulation, account: str) -> set[str]:
    """The pools ``account`` owns or sees through an active share, worked out independently."""
    seen = {p.id for p in sim.model.pools.values() if p.owner == account}
    for share in sim.shares.all():
        if share.status == "Active" and reaches(sim, account, share):
            seen.update(r for r in share.resources if r in sim.model.pools)
    return seen


def granted(sim: Simulation, actor: str, pool: str, action: str,
            created_by: str | None = None) -> bool:
    """Whether the matrix row of ``action`` lets ``actor`` do it on ``pool`` now."""
    row = ROWS[action]
    if actor == sim.model.pools[pool].owner:
        return row.owner == "yes"
    if pool not in visible_pools(sim, actor):
        return False
    if row.principal == "own":
        return created_by == actor
    return row.principal in ("yes", "name_description")


class EngineMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.sim = build()
        self.log_seen = list(self.sim.log)
        self.clock_seen = self.sim.now

    # -- running one request -----------------------------------------------------------------
    def attempt(self, actor: str, op: str, **args):
        """Run ``op``; a refusal must carry a registered code and change nothing."""
        before = self.sim.fingerprint()
        try:
            result = self.sim.do(actor, op, **args)
        except DomainError as err:
            assert err.code in ERROR_CODES or err.code.removeprefix("QuotaExceeded.") in {
                q.name for q in QUOTAS.values()}, err.code
            assert self.sim.fingerprint() == before, (
                f"{op} by {actor} was refused ({err.code}) but changed the state")
            return err
        return result

    def pool_request(self, actor: str, op: str, target: str, actions: list[str], **args):
        """A request whose first check is on the pool ``target``: the matrix decides."""
        exists = target in self.sim.model.pools
        sees = exists and target in visible_pools(self.sim, actor)
        allowed = sees and all(granted(self.sim, actor, target, a) for a in actions)
        outcome = self.attempt(actor, op, **args)
        if isinstance(outcome, DomainError):
            if not sees:
                assert outcome.code == "ResourceNotFound.IpamPool", (op, actor, target, outcome)
            elif not allowed:
                assert outcome.code == "Forbidden", (op, actor, target, actions, outcome)
            else:
                assert outcome.code != "Forbidden", (op, actor, target, actions, outcome)
        else:
            assert allowed, f"{actor} completed {op} ({actions}) on {target} outside its column"
        return outcome

    def draw_target(self, data) -> tuple[str, str]:
        """(actor, pool): the pool's owner, an account the pool is shared with, or anyone.

        A third of the requests come from accounts that see a pool through a share, so
        the principal's column of the matrix is exercised as much as the owner's.
        """
        model = self.sim.model
        pools = sorted(model.pools)
        pick = data.draw(st.integers(0, 2))
        if pick == 1:
            shared = [(a, p) for a in ACCOUNTS for p in sorted(visible_pools(self.sim, a))
                      if model.pools[p].owner != a]
            if shared:
                return data.draw(st.sampled_from(shared))
        pool = data.draw(st.sampled_from(pools + ["ghost"]))
        if pick != 2 and pool in model.pools:
            return model.pools[pool].owner, pool
        return data.draw(st.sampled_from(ACCOUNTS)), pool

    def draw_cidr(self, data, pool: str) -> str:
        """A CIDR near the pool's space: free, allocated, provisioned or one of a fixed few."""
        p = self.sim.model.pools.get(pool)
        near = [] if p is None else (p.space.free_blocks()[:3] + p.space.allocations()[:3]
                                     + p.space.provisioned()[:2])
        return data.draw(st.sampled_from([str(c) for c in near] + EXTRA_CIDRS))

    # -- pools and CIDRs ---------------------------------------------------------------------
    @rule(data=st.data(), pool=st.sampled_from(POOL_IDS), child_masks=st.lists(masks, max_size=2),
          by_cidr=st.booleans(), strategy=st.sampled_from(["first", "best", "random"]))
    def create_child_pool(self, data, pool, child_masks, by_cidr, strategy):
        actor, source = self.draw_target(data)
        src = self.sim.model.pools.get(source)
        ipam = src.ipam if src is not None else "ipam-n"
        cidrs = [self.draw_cidr(data, source)] if by_cidr else []
        self.pool_request(actor, "create_ipam_pool", source, ["create_ipam_pool"], ipam=ipam,
                          pool=pool, source=source, cidrs=cidrs, masks=child_masks,
                          strategy=strategy)

    @rule(data=st.data(), mask=st.none() | masks)
    def add_pool_cidr(self, data, mask):
        actor, pool = self.draw_target(data)
        args = {"mask": mask} if mask is not None else {"cidr": self.draw_cidr(data, pool)}
        self.pool_request(actor, "add_ipam_pool_cidr", pool, ["add_ipam_pool_cidr"], pool=pool,
                          **args)

    @rule(data=st.data())
    def delete_pool_cidr(self, data):
        actor, pool = self.draw_target(data)
        self.pool_request(actor, "delete_ipam_pool_cidr", pool, ["delete_ipam_pool_cidr"],
                          pool=pool, cidr=self.draw_cidr(data, pool))

    @rule(data=st.data())
    def delete_pool(self, data):
        actor, pool = self.draw_target(data)
        self.pool_request(actor, "delete_ipam_pool", pool, ["delete_ipam_pool"], pool=pool)

    @rule(data=st.data(), what=st.sampled_from(["name", "rules", "auto_import", "both"]),
          low=st.integers(22, 28), span=st.integers(-1, 6), default=st.none() | masks,
          flag=st.booleans())
    def update_pool(self, data, what, low, span, default, flag):
        actor, pool = self.draw_target(data)
        args: dict = {}
        actions = []
        if what in ("name", "both"):
            args.update(name=f"pool by {actor}", description="changed")
            actions.append("update_ipam_pool")
        if what in ("rules", "both"):
            args["rules"] = {"min_mask": low, "max_mask": low + span, "default_mask": default}
            actions.append("update_ipam_pool_rules")
        if what == "auto_import":
            args["auto_import"] = flag
            actions.append("update_ipam_pool_auto_import")
        self.pool_request(actor, "update_ipam_pool", pool, actions, pool=pool, **args)

    # -- VPCs and allocations ----------------------------------------------------------------
    @rule(data=st.data(), vpc=st.sampled_from(VPC_IDS), mask=st.none() | masks,
          how=st.sampled_from(["mask", "mask", "cidr", "literal"]),
          region=st.sampled_from([None, None, None, R2]))
    def create_vpc(self, data, vpc, mask, how, region):
        actor, pool = self.draw_target(data)
        if how == "literal":   # an Unmanaged VPC: no pool involved
            self.attempt(actor, "create_vpc", vpc=vpc, cidr=self.draw_cidr(data, pool),
                         region=region or R1)
            return
        args = {"mask": mask} if how == "mask" else {"cidr": self.draw_cidr(data, pool)}
        self.pool_request(actor, "create_vpc", pool, ["create_vpc"], vpc=vpc, pool=pool,
                          region=region, **args)

    @rule(data=st.data(), mask=masks)
    def associate_vpc_cidr_block(self, data, mask):
        vpc = data.draw(st.sampled_from(VPC_IDS))
        actor, pool = self.draw_target(data)
        v = self.sim.model.vpcs.get(vpc)
        if v is not None and data.draw(st.booleans()):
            actor = v.owner
        region = data.draw(st.sampled_from([R1, R2]))
        args = dict(vpc=vpc, pool=pool, mask=mask, region=region)
        if v is None or v.owner != actor or v.region != region:
            # the pool is looked up first, then the VPC
            sees = pool in self.sim.model.pools and pool in visible_pools(self.sim, actor)
            code = "ResourceNotFound.Vpc" if sees else "ResourceNotFound.IpamPool"
            outcome = self.attempt(actor, "associate_vpc_cidr_block", **args)
            assert isinstance(outcome, DomainError) and outcome.code == code, (outcome, code)
        else:
            self.pool_request(actor, "associate_vpc_cidr_block", pool,
                              ["associate_vpc_cidr_block"], **args)

    @rule(data=st.data())
    def delete_vpc(self, data):
        vpc = data.draw(st.sampled_from(VPC_IDS))
        v = self.sim.model.vpcs.get(vpc)
        actor = v.owner if v is not None and data.draw(st.booleans()) else \
            data.draw(st.sampled_from(ACCOUNTS))
        outcome = self.attempt(actor, "delete_vpc", vpc=vpc)
        if v is None or v.owner != actor:
            assert isinstance(outcome, DomainError) and outcome.code == "ResourceNotFound.Vpc"
        else:
            assert vpc not in self.sim.model.vpcs
            assert not set(v.allocations) & set(self.sim.model.allocations)

    @rule(data=st.data(), mask=st.none() | masks, by_cidr=st.booleans(),
          name=st.sampled_from(ALLOCATION_NAMES))
    def create_allocation(self, data, mask, by_cidr, name):
        actor, pool = self.draw_target(data)
        args = {"cidr": self.draw_cidr(data, pool)} if by_cidr else {"mask": mask}
        if name is not None:
            args["allocation"] = name
        self.pool_request(actor, "create_ipam_pool_allocation", pool,
                          ["create_ipam_pool_allocation"], pool=pool, **args)

    @rule(data=st.data(), by_cidr=st.booleans())
    def delete_allocation(self, data, by_cidr):
        model = self.sim.model
        records = sorted(model.allocations)
        aid = data.draw(st.sampled_from(records + ["alloc-999"]))
        a = model.allocations.get(aid)
        name = str(a.cidr) if a is not None and by_cidr else aid
        actor = data.draw(st.sampled_from(
            ACCOUNTS + [a.created_by, model.pools[a.pool].owner] * 2 if a is not None
            else ACCOUNTS))
        candidates = [x for x in model.allocations.values()
                      if x.id == name or str(x.cidr) == name]
        seen = [x for x in candidates if x.pool in visible_pools(self.sim, actor)]
        releasable = [x for x in seen if x.type in ("VPC", "Custom") and granted(
            self.sim, actor, x.pool, "delete_ipam_pool_allocation", created_by=x.created_by)]
        before = dict(model.allocations)
        outcome = self.attempt(actor, "delete_ipam_pool_allocation", allocation=name)
        if not seen:
            # its own allocation in a pool it no longer sees: the pool is not found
            lost = any(x.created_by == actor for x in candidates)
            assert isinstance(outcome, DomainError)
            assert outcome.code == ("ResourceNotFound.IpamPool" if lost
                                    else "ResourceNotFound.IpamPoolAllocation"), outcome
        if releasable:      # one it may release is always found, never an IpamPool block
            assert not isinstance(outcome, DomainError), (actor, name, releasable, outcome)
        if not isinstance(outcome, DomainError):
            released = before[outcome.resource]
            assert released in releasable, (actor, released)

    # -- list operations and queries ----------------------------------------------------------
    @rule(data=st.data(), op=st.sampled_from(["list_ipam_pool_cidrs", "list_ipam_pool_allocations",
                                              "list_ipam_resource_cidrs",
                                              "get_ipam_pool_next_available_cidr"]),
          mask=masks)
    def query_pool(self, data, op, mask):
        actor, pool = self.draw_target(data)
        args = {"mask": mask} if op == "get_ipam_pool_next_available_cidr" else {}
        outcome = self.pool_request(actor, op, pool, [op], pool=pool, **args)
        if not isinstance(outcome, DomainError) and op == "list_ipam_pool_cidrs":
            assert list(outcome.items) == [str(c) for c in
                                           self.sim.model.pools[pool].space.provisioned()]

    # -- sharing -------------------------------------------------------------------------------
    def draw_resources(self, data, actor: str, max_size: int) -> list[str]:
        """Mostly pools of ``actor`` (so that shares get made), sometimes any pool id."""
        own = sorted(p.id for p in self.sim.model.pools.values() if p.owner == actor)
        choices = st.sampled_from(own) if own and data.draw(st.integers(0, 4)) else \
            st.sampled_from(POOL_IDS)
        return data.draw(st.lists(choices, min_size=1, max_size=max_size, unique=True))

    @rule(data=st.data(), share=st.sampled_from(SHARE_IDS),
          principals=st.lists(st.sampled_from(PRINCIPALS), min_size=1, max_size=3, unique=True),
          allow_external=st.booleans())
    def create_share(self, data, share, principals, allow_external):
        owners = sorted({p.owner for p in self.sim.model.pools.values()})
        actor = data.draw(st.sampled_from(owners * 3 + ACCOUNTS))
        self.attempt(actor, "create_resource_share", share=share,
                     resources=self.draw_resources(data, actor, 2), principals=principals,
                     allow_external=allow_external)

    @rule(data=st.data(), share=st.sampled_from(SHARE_IDS), add=st.booleans(),
          principals=st.lists(st.sampled_from(PRINCIPALS), max_size=2, unique=True))
    def change_share(self, data, share, add, principals):
        s = self.sim.shares.get(share) if share in self.sim.shares else None
        owner = s.owner if s is not None else NET
        # the accounts the share reaches, often: their column is owner-only refusals
        reached = [a for a in ACCOUNTS if s is not None and reaches(self.sim, a, s)]
        actor = data.draw(st.sampled_from([owner, owner, *ACCOUNTS, *reached * 2]))
        if not add and data.draw(st.integers(0, 3)) == 0:
            principals = [actor]            # a principal naming itself asks to leave
        resources = self.draw_resources(data, actor, 1) if data.draw(st.booleans()) else []
        op = "associate_resource_share" if add else "disassociate_resource_share"
        leaving = (not add and not resources and bool(principals)
                   and all(p in (actor, f"account:{actor}") for p in principals))
        outcome = self.attempt(actor, op, share=share, resources=resources,
                               principals=principals)
        self.check_owner_only(actor, share, outcome, leaving)

    @rule(data=st.data(), share=st.sampled_from(SHARE_IDS))
    def delete_share(self, data, share):
        s = self.sim.shares.get(share) if share in self.sim.shares else None
        owner = s.owner if s is not None else NET
        reached = [a for a in ACCOUNTS if s is not None and reaches(self.sim, a, s)]
        actor = data.draw(st.sampled_from([owner, *ACCOUNTS, *reached]))
        outcome = self.attempt(actor, "delete_resource_share", share=share)
        self.check_owner_only(actor, share, outcome, False)

    def check_owner_only(self, actor: str, share: str, outcome, leaving: bool) -> None:
        """An owner-only share request by anyone but the owner (the state after it is the
        state before, as a refusal changes nothing): not found for an account the share
        does not reach, else refused, and a principal naming only itself cannot leave."""
        s = self.sim.shares.get(share) if share in self.sim.shares else None
        if s is not None and s.owner == actor:
            return
        invited = any(i.share == share for i in self.sim.shares.invitations(actor))
        assert isinstance(outcome, DomainError), (actor, share, outcome)
        if s is None or s.status != "Active" or not (reaches(self.sim, actor, s) or invited):
            assert outcome.code == "ResourceNotFound.ResourceShare", (actor, share, outcome)
        elif leaving:
            assert outcome.code == "OperationDenied.ExitNotSupported", (actor, share, outcome)
        else:
            assert outcome.code in ("Forbidden", "ResourceNotFound.IpamPool",
                                    "ResourceNotFound.Account", "ResourceNotFound.Folder"), \
                (actor, share, outcome)

    @rule(data=st.data(), accept=st.integers(0, 2))
    def answer_invitation(self, data, accept):
        invited = [(i.account, i.share) for i in self.sim.shares.invitations()]
        actor, share = data.draw(st.sampled_from(invited + [(PARTNER, "rs1"), (SHOP, "rs2")]))
        op = "accept_resource_share_invitation" if accept else "reject_resource_share_invitation"
        self.attempt(actor, op, share=share)

    # -- the organisation ------------------------------------------------------------------
    @rule(actor=st.sampled_from([MGMT, MGMT, MGMT, NET]),
          account=st.sampled_from([OPS, SHOP, DEV, NET, PARTNER, MGMT]),
          folder=st.sampled_from(FOLDERS))
    def move_account(self, actor, account, folder):
        self.attempt(actor, "move_account", account=account, folder=folder)

    @rule(actor=st.sampled_from([MGMT, MGMT, SHOP]),
          account=st.sampled_from([OPS, SHOP, DEV, PARTNER, MGMT]))
    def remove_account(self, actor, account):
        self.attempt(actor, "remove_account", account=account)

    # -- the clock ---------------------------------------------------------------------------
    @rule(duration=st.sampled_from(DURATIONS), absolute=st.booleans())
    def move_clock(self, duration, absolute):
        if absolute:
            self.sim.at(self.sim.now + duration)
        else:
            self.sim.advance(duration)

    # -- invariants ----------------------------------------------------------------------------
    @invariant()
    def allocations_lie_in_provisioned_cidrs_without_overlap(self):
        model = self.sim.model
        for pool in model.pools.values():
            provisioned = pool.space.provisioned()
            for left, right in zip(provisioned, provisioned[1:], strict=False):
                assert not left.overlaps(right)
            records = sorted(a.cidr for a in model.allocations.values() if a.pool == pool.id)
            assert records == pool.space.allocations()
            for left, right in zip(records, records[1:], strict=False):
                assert not left.overlaps(right), (pool.id, left, right)
            for c in records:
                assert any(c in q for q in provisioned), (pool.id, c)

    @invariant()
    def child_cidrs_lie_in_their_source(self):
        model = self.sim.model
        for pool in model.pools.values():
            if pool.source is None:
                continue
            src = model.pools[pool.source]
            held = {a.cidr for a in model.allocations.values()
                    if a.pool == src.id and a.type == "IpamPool" and a.resource == pool.id}
            assert held == set(pool.space.provisioned())
            for c in held:
                assert any(c in q for q in src.space.provisioned()), (pool.id, c)

    @invariant()
    def utilisation_is_allocated_over_provisioned(self):
        model = self.sim.model
        for pool in model.pools.values():
            figures = model.utilisation(pool.id)
            provisioned = sum(c.size for c in pool.space.provisioned())
            allocated = sum(a.cidr.size for a in model.allocations.values()
                            if a.pool == pool.id)
            assert (figures["provisioned_ips"], figures["allocated_ips"],
                    figures["free_ips"]) == (provisioned, allocated, provisioned - allocated)
            assert figures["utilisation"] == (allocated / provisioned if provisioned else 0.0)

    @invariant()
    def list_ipam_pools_shows_exactly_the_visible_pools(self):
        for account in ACCOUNTS:
            listed = self.sim.do(account, "list_ipam_pools").items
            assert len(set(listed)) == len(listed)
            assert set(listed) == visible_pools(self.sim, account), account

    @invariant()
    def vpcs_and_their_allocations_agree(self):
        model = self.sim.model
        for vpc in model.vpcs.values():
            linked = [model.allocations[aid] for aid in vpc.allocations]
            assert all(a.type == "VPC" and a.resource == vpc.id for a in linked)
            assert {a.cidr for a in linked} <= {vpc.cidr, *vpc.secondary}
            assert isinstance(vpc.cidr, Cidr)
        for a in model.allocations.values():
            if a.type == "VPC":
                assert a.id in model.vpcs[a.resource].allocations

    @invariant()
    def the_access_history_found_from_the_shares_is_what_each_account_sees(self):
        shares, org = self.sim.shares, self.sim.org
        assert access_now(self.sim) == {
            (account, pool, share) for account in [*org.members(), *org.externals()]
            for pool in shares.pools_shared_with(account)
            for share in shares.granting(account, pool)}

    @invariant()
    def the_indexes_of_auto_import_and_of_creation_order_agree_with_a_scan(self):
        model = self.sim.model
        for vpc in model.vpcs.values():     # auto import looks only at the VPCs listed
            if model.unmanaged_cidrs(vpc):
                assert vpc.id in model._unmanaged.get(vpc.region, {}), vpc
        assert model.in_creation_order(sorted(model.pools, reverse=True)) == list(model.pools)

    @invariant()
    def the_log_only_grows_and_the_clock_never_goes_back(self):
        log, seen = self.sim.log, self.log_seen
        assert log[:len(seen)] == seen
        for event in log[len(seen):]:
            assert event.outcome in ("ok", "error")
            assert event.error_code is None or event.error_code in ERROR_CODES \
                or event.error_code.startswith("QuotaExceeded."), event
        times = [e.time for e in log]
        assert times == sorted(times)
        assert self.sim.now >= self.clock_seen
        self.log_seen, self.clock_seen = list(log), self.sim.now

    # -- at the end: a saved and restored copy runs on exactly like the original ----------
    def teardown(self):
        sim = self.sim
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "state.json"
            sim.save(path)
            back = Simulation.restore(path)
        assert back.fingerprint() == sim.fingerprint() == sim.copy().fingerprint()
        assert back.log == sim.log
        for s in (sim, back):
            s.advance(timedelta(days=2))
            for vpc in VPC_IDS:
                for actor in (NET, SHOP):
                    with contextlib.suppress(DomainError):
                        s.do(actor, "create_vpc", vpc=f"{vpc}-late", pool="s-top", mask=27)
            s.finish()
        assert back.log == sim.log
        assert back.fingerprint() == sim.fingerprint()


TestEngineMachine = EngineMachine.TestCase


def test_a_refused_child_pool_leaves_the_generator_alone():
    sim = build()
    before = sim.fingerprint()
    # s-top (a /23, random strategy) hands out its two /24s at random, then has no third
    with pytest.raises(DomainError, match="AvailableCidrInsufficient"):
        sim.do(SHOP, "create_ipam_pool", ipam="ipam-s", pool="c1", source="s-top",
               masks=[24, 24, 24])
    assert sim.fingerprint() == before
