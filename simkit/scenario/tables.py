"""The scenario format, version 1, as data: :data:`FORMAT` and its JSON Schema.

:data:`FORMAT` is the top-level record of a scenario, built from the types of
:mod:`simkit.scenario.scalars` and :mod:`simkit.scenario.records`; its step
records are made from the operation records of :mod:`simkit.scenario.operations`.  The loader
(:mod:`simkit.scenario`) checks files against this description, and
:func:`json_schema` states the same description as JSON Schema (the shipped
``simkit/scenario.schema.json``), so the two cannot drift apart.

Examples
--------
>>> [key for key, spec in FORMAT.fields.items() if spec.required]
['version', 'name', 'org']
>>> sorted(FORMAT.fields["steps"].type.item.variants)
['advance', 'at', 'check', 'op']
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..model.objects import ISPS
from ..values.addresses import IP_VERSIONS
from ..values.allocator import STRATEGIES
from ..values.quotas import QUOTAS
from .operations import _ID, _REGION, OPERATIONS, Operation
from .records import (
    _NAMED,
    ByValue,
    Choice,
    Field,
    ListOf,
    MaskWeights,
    Maybe,
    Parameters,
    Record,
    Ref,
    Tagged,
)
from .scalars import (
    AccountRef,
    CidrText,
    Const,
    Duration,
    ErrorCodeText,
    Flag,
    Integer,
    Mask,
    Number,
    Rate,
    Text,
    Time,
)

#: The format version this module reads.
VERSION = 1

_RULES = Record("rules", {
    "min_mask": Field(Mask(strict=False), doc="smallest mask (largest block) allowed"),
    "max_mask": Field(Mask(strict=False), doc="largest mask (smallest block) allowed"),
    "default_mask": Field(Mask(strict=False), doc="mask used when a request gives none"),
}, doc="allocation rules (judged by the cloud when the step runs)", name="op_rules")
_RULES = Record("rules", {
    "min_mask": Field(Mask(width=128), doc="smallest mask (largest block) allowed"),
    "max_mask": Field(Mask(width=128), doc="largest mask (smallest block) allowed"),
    "default_mask": Field(Mask(width=128), doc="mask used when a request gives none"),
}, doc="allocation rules of a pool (0..32 for IPv4, 0..128 for IPv6)", name="rules")

_NAMED["folder"] = Record("folder", {
    "name": Field(Text(hint="a folder name"), required=True, doc="the folder's name"),
    "id": Field(Text(hint="a folder id such as fd-1a2b3c"),
                doc="its id as a share target on the wire (simkit serve); default fd-<hash>"),
    "accounts": Field(ListOf(AccountRef()), doc="member accounts in this folder"),
    "folders": Field(ListOf(Ref("folder")), doc="sub-folders"),
}, doc="a folder of the resource directory", label="name", name="folder")

_ORG = Record("org", {
    "management_account": Field(AccountRef(), required=True,
                                doc="the resource directory's management account"),
    "accounts": Field(ListOf(AccountRef()), doc="member accounts directly under Root"),
    "folders": Field(ListOf(Ref("folder")), doc="folders below Root"),
    "external_accounts": Field(ListOf(AccountRef()),
                               doc="accounts outside the resource directory"),
    "rd_id": Field(Text(hint="a resource directory id such as rd-1a2b3c"),
                   doc="the directory's id as a share target on the wire (simkit serve)"),
}, doc="the organisation: resource directory and external accounts", name="org")

_POOL = Record("pool", {
    "id": Field(_ID, required=True, doc="unique pool id"),
    "source": Field(_ID, doc="source pool (declared earlier in the same IPAM); none: top level"),
    "scope": Field(_ID, doc="a custom scope of the IPAM, or public (the IPAM's public IPv6 "
                            "scope); none: the default private scope (public for IPv6)"),
    "ip_version": Field(Text(enum=tuple(IP_VERSIONS)),
                        doc="IPv4 (default) or IPv6 (pools of the public scope)"),
    "isp": Field(Text(enum=ISPS), doc="ISP line of a public IPv6 pool (default BGP; a child "
                                     "takes its source's)"),
    "region": Field(_REGION, doc="the pool's region (one of the IPAM's operating regions)"),
    "cidrs": Field(ListOf(CidrText()), doc="CIDRs provisioned explicitly (a public top-level "
                                          "IPv6 pool: the block it already holds)"),
    "masks": Field(ListOf(Mask(width=128)),
                   doc="blocks provisioned by mask from the source pool (a public top-level "
                       "IPv6 pool: from the cloud's IPv6 range)"),
    "rules": Field(_RULES),
    "auto_import": Field(Flag(), default=False, doc="adopt discovered unmanaged CIDRs"),
    "strategy": Field(Text(enum=STRATEGIES), default="first",
                      doc="how blocks are chosen (simkit extension; the cloud uses first)"),
    "name": Field(Text(min_length=0), doc="display name"),
    "description": Field(Text(min_length=0), doc="description"),
}, doc="an IPAM pool", label="id", name="pool")

_IPV6_RANGE = Record("IPv6 range", {
    "region": Field(_REGION, required=True, doc="an operating region of the IPAM"),
    "isp": Field(Text(enum=ISPS), default=ISPS[0], doc="the ISP line (default BGP)"),
    "cidr": Field(CidrText(), required=True, doc="the IPv6 block the cloud hands out from"),
}, doc="the cloud's IPv6 space for one region and ISP line", name="ipv6_range")

_IPAM = Record("ipam", {
    "id": Field(_ID, required=True, doc="unique IPAM id"),
    "owner": Field(AccountRef(), required=True, doc="the account that owns the IPAM"),
    "region": Field(_REGION, required=True, doc="managed (home) region"),
    "operating_regions": Field(ListOf(_REGION),
                               doc="operating regions (the home region is always one)"),
    "scopes": Field(ListOf(_ID), doc="custom private scopes, besides the two defaults"),
    "ipv6_ranges": Field(ListOf(_IPV6_RANGE),
                         doc="the cloud's IPv6 space for this IPAM's public top-level pools, "
                             "replacing the default (a /40 of 2001:db8::/32 per region and "
                             "ISP line)"),
    "pools": Field(ListOf(_POOL), doc="pools, each source before its children"),
}, doc="an IPAM", label="id", name="ipam")

_VPC = Record("vpc", {
    "id": Field(_ID, required=True, doc="unique VPC id"),
    "owner": Field(AccountRef(), required=True, doc="the account that owns the VPC"),
    "region": Field(_REGION, required=True, doc="the VPC's region"),
    "cidr": Field(CidrText(), required=True, doc="its CIDR"),
}, doc="a network that exists before step 1 (Unmanaged)", label="id", name="vpc")

_RESERVED = Record("reserved range", {
    "name": Field(_ID, required=True, doc="unique name"),
    "cidr": Field(CidrText(), required=True, doc="the CIDR in use outside the cloud"),
    "hold_in": Field(_ID, doc="a declared pool that keeps the range out of its allocations "
                              "(a Custom allocation by the pool's owner before step 1)"),
}, doc="space used outside the cloud", label="name", name="reserved")

_FIGURES: dict[str, Field] = {
    "utilisation": Field(Number(minimum=0, maximum=1),
                         doc="allocated / provisioned IPs, compared to 1e-9"),
    "provisioned_ips": Field(Integer(minimum=0), doc="IPs of the provisioned CIDRs"),
    "allocated_ips": Field(Integer(minimum=0), doc="IPs of all allocations"),
    "free_ips": Field(Integer(minimum=0), doc="provisioned IPs not allocated"),
    "largest_free_mask": Field(Maybe(Integer(minimum=0, maximum=128)),
                               doc="mask of the largest free block (null: none free)"),
}
_INVITATION_STATUSES = ("Pending", "Accepted", "Rejected", "Expired", "none")
_CHECK = Tagged("check", {
    "pool": Record("check", {"pool": Field(_ID, required=True, doc="the pool checked"),
                             **_FIGURES},
                   doc="figures of one pool", noun="figure", any_of=(tuple(_FIGURES),)),
    "account": Record("check", {
        "account": Field(AccountRef(), required=True, doc="the account checked"),
        "visible_pools": Field(ListOf(_ID),
                               doc="exactly the pools it owns or sees (order ignored)"),
        "invitation": Field(Record("invitation", {
            "share": Field(_ID, required=True, doc="the resource share"),
            "status": Field(Text(enum=_INVITATION_STATUSES), required=True,
                            doc="the invitation's status now (none: it has no invitation)"),
        }, doc="the account's invitation to a resource share", name="check_invitation")),
    }, doc="what one account sees, or its invitation to a share", noun="figure",
        any_of=(("visible_pools", "invitation"),)),
    "vpc": Record("check", {
        "vpc": Field(_ID, required=True, doc="the VPC checked"),
        "cidrs": Field(ListOf(CidrText()), required=True,
                       doc="exactly its CIDRs, primary and secondary (order ignored)"),
    }, doc="the CIDRs of one VPC", noun="figure"),
    "share": Record("check", {
        "share": Field(_ID, required=True, doc="the resource share checked"),
        "principals": Field(ListOf(AccountRef(principal=True)),
                            doc="exactly its principals (order ignored)"),
        "resources": Field(ListOf(_ID), doc="exactly its pools (order ignored)"),
        "status": Field(Text(enum=("Active", "Deleted")), doc="its status"),
    }, doc="the principals, pools or status of one resource share", noun="figure",
        any_of=(("principals", "resources", "status"),)),
    "allocation": Record("check", {
        "allocation": Field(_ID, required=True,
                            doc="an allocation id or name, or the CIDR it holds"),
        "type": Field(Text(enum=("VPC", "Custom", "IpamPool")), doc="its type"),
        "created_by": Field(AccountRef(), doc="the account that made it"),
    }, doc="the type or creator of one allocation", noun="figure",
        any_of=(("type", "created_by"),)),
}, doc="assert figures of the current state", name="check")


_EXPECT_VALUES: dict[str, Field] = {
    "cidr": Field(CidrText(strict=False), doc="it must succeed and give this CIDR"),
    "ipv6_cidr": Field(CidrText(strict=False),
                       doc="it must succeed and give the VPC this IPv6 block"),
    "pools": Field(ListOf(_ID), doc="exactly these pools (order ignored)"),
    "cidrs": Field(ListOf(CidrText(strict=False)), doc="exactly these CIDRs (order ignored)"),
    "allocations": Field(ListOf(CidrText(strict=False)),
                         doc="exactly these allocations, as CIDRs (order ignored)"),
}


def _op_record(spec: Operation) -> Record:
    outcome = {"error": Field(ErrorCodeText(), doc="it must fail with exactly this code")}
    for key in filter(None, (spec.gives, *spec.also_gives)):
        outcome[key] = _EXPECT_VALUES[key]
    if len(outcome) <= 2:
        given = Record("expect", outcome, doc="what the step must give",
                       one_of=(tuple(outcome),), name=f"expect_{spec.gives or 'none'}")
    else:      # several results (a dual-stack VPC's CIDRs): any of them, but not with error
        given = Record("expect", outcome, doc="what the step must give",
                       any_of=(tuple(outcome),),
                       exclusive=tuple(("error", key) for key in outcome if key != "error"),
                       name="expect_" + "_".join(list(outcome)[1:]))
    expect = Choice((Text(enum=("any",)), given),
                    doc="absent: must succeed; any: judge nothing")
    fields = {
        "op": Field(Text(enum=(spec.name,)), required=True, doc=spec.doc),
        "as": Field(AccountRef(), required=True, doc="the account that makes the request"),
        **spec.arguments().fields,
        "expect": Field(expect),
    }
    return Record("step", fields, doc=spec.doc, tag=f" ({spec.name})", noun="key",
                  exclusive=spec.exclusive, one_of=spec.one_of, name=f"op_{spec.name}")


_STEP = Tagged("step", {
    "op": ByValue("op", {name: _op_record(spec) for name, spec in OPERATIONS.items()},
                  doc="run an operation as an account"),
    "advance": Record("step", {"advance": Field(Duration(), required=True,
                                                doc="move the clock forward by this much")},
                      doc="move the clock forward", name="advance_step"),
    "at": Record("step", {"at": Field(Time(), required=True,
                                      doc="move the clock to this time (never back)")},
                 doc="move the clock to a time", name="at_step"),
    "check": Record("step", {"check": Field(_CHECK, required=True)},
                    doc="assert a figure of the current state", name="check_step"),
}, doc="exactly one of op, advance, at, check", name="step")

_DEMAND = Record("demand", {
    "as": Field(AccountRef(), required=True, doc="the account making the requests"),
    "pool": Field(_ID, required=True, doc="the pool drawn from"),
    "mask": Field(Mask(), doc="mask of every request"),
    "masks": Field(MaskWeights(), doc="masks drawn with these weights (summing to 1)"),
    "count": Field(Integer(minimum=1), required=True, doc="number of requests"),
    "every": Field(Duration(), doc="a request at fixed intervals"),
    "rate": Field(Rate(), doc="Poisson arrivals at this rate"),
    "begin": Field(Time(), doc="first request time (default: the clock start)"),
    "lifetime": Field(Duration(), doc="delete each VPC this long after its creation"),
    "region": Field(_REGION, doc="request region (default: the pool's region)"),
    "ipv6_pool": Field(_ID, doc="an IPv6 pool: each VPC is dual-stack, with an IPv6 block "
                                "from it"),
    "ipv6_mask": Field(Mask(width=128), doc="prefix length of the IPv6 blocks (default: the "
                                            "IPv6 pool's default mask)"),
}, doc="generated create_vpc requests, never judged", one_of=(("mask", "masks"),
                                                              ("every", "rate")),
    name="demand")

_ACCESS_KEY = Record("access key", {
    "id": Field(Text(hint="an AccessKeyId"), required=True, doc="the AccessKeyId"),
    "secret": Field(Text(hint="an AccessKeySecret"), required=True,
                    doc="its AccessKeySecret: signatures are checked with it"),
    "account": Field(AccountRef(), required=True, doc="the account that calls with it"),
}, doc="an access key of simkit serve", label="id", name="access_key")

_QUOTAS = Record("quotas", {
    key: Field(Integer(minimum=0), doc=f"{q.what} (default {q.default})")
    for key, q in QUOTAS.items()
}, doc="raised quotas (docs/rules.md section 6)", noun="quota", name="quotas")

#: The whole format, version 1: the top-level record of a scenario.
FORMAT = Record("", {
    "version": Field(Const(VERSION, hint=": this simkit reads scenario format version 1"),
                     required=True, doc="format version: 1"),
    "name": Field(Text(hint="a name"), required=True, doc="the scenario's name"),
    "description": Field(Text(min_length=0), doc="what the scenario shows"),
    "seed": Field(Integer(minimum=0), default=0, doc="seed of every random choice"),
    "start": Field(Time(), default="2026-01-01T00:00:00Z", doc="clock start"),
    "parameters": Field(Parameters(), doc="named values that other values refer to with "
                                          "{param: NAME} (docs/format-extensions.md)"),
    "quotas": Field(_QUOTAS),
    "org": Field(_ORG, required=True),
    "ipams": Field(ListOf(_IPAM), doc="IPAMs and their pools"),
    "vpcs": Field(ListOf(_VPC), doc="networks that exist before step 1"),
    "reserved": Field(ListOf(_RESERVED), doc="space used outside the cloud"),
    "connected_scopes": Field(ListOf(ListOf(_ID, min_items=2)),
                              doc="groups of scopes routed together: overlaps between them "
                                  "are conflicts (simkit extension)"),
    "steps": Field(ListOf(_STEP), doc="the steps, in order"),
    "demand": Field(ListOf(_DEMAND), doc="generated requests for what-if runs"),
    "access_keys": Field(ListOf(_ACCESS_KEY),
                         doc="the keys simkit serve accepts; given, every signature is "
                             "checked (none: the AccessKeyId is the account, unchecked)"),
}, doc="a simkit scenario, format version 1 (docs/scenario-format.md)")


# ---------------------------------------------------------------------------------------------
# JSON Schema
# ---------------------------------------------------------------------------------------------

def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the scenario format, built from :data:`FORMAT`.

    It checks the structure; references between sections (declared accounts,
    unique ids, the clock) are checked by :func:`~simkit.scenario.load` only.  Times are
    strings there, as YAML editors read them.

    Examples
    --------
    >>> schema = json_schema()
    >>> schema["$schema"], schema["required"]
    ('https://json-schema.org/draft/2020-12/schema', ['version', 'name', 'org'])
    """
    defs: dict[str, Any] = {}
    body = FORMAT.schema(defs)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "simkit scenario", **body, "$defs": defs}


def write_schema(path: str | os.PathLike[str]) -> None:
    """Write :func:`json_schema` to ``path`` as indented JSON (the shipped schema file)."""
    text = json.dumps(json_schema(), indent=2) + "\n"
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
