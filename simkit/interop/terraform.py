"""Export the final state of a scenario as Terraform JSON (``*.tf.json``).

:func:`terraform_config` builds the configuration of a finished simulation
for the ``alicloud`` provider (the cloud simkit models) or ``aws`` (the same
plan on AWS VPC IPAM and RAM); :func:`export_terraform` runs a scenario and
writes it.  The configuration

* declares one provider alias per account and region that acts (each
  assuming a role in that account), and a variable per account id (and per
  folder or the resource directory a share targets);
* names each resource after its scenario label, sanitised (``hz`` ->
  ``alicloud_vpc_ipam_ipam_pool.hz``), and links resources only by
  Terraform references (``${alicloud_vpc_ipam_ipam_pool.hz.id}``), never by
  literal ids;
* carries a comment block (the ``//`` key of ``main.tf.json``) naming what
  was not exported and why.

The argument names of every resource type, with their documentation page,
are data (``simkit/interop/providers.json``, :data:`PROVIDERS`); :func:`check`
verifies a configuration against them and resolves every reference, and
:func:`terraform_config` calls it on everything it builds.

Examples
--------
>>> import simkit
>>> sim = simkit.Simulation(management_account="mgmt")
>>> sim.org.add_account("net")
>>> _ = sim.do("net", "create_ipam", ipam="ipam-1", region="cn-hangzhou")
>>> _ = sim.do("net", "create_ipam_pool", ipam="ipam-1", pool="corp", region="cn-hangzhou",
...            cidrs=["10.0.0.0/8"])
>>> _ = sim.do("net", "create_vpc", vpc="vpc-a", pool="corp", mask=16)
>>> files = terraform_config(sim)
>>> files["resources.tf.json"]["resource"]["alicloud_vpc"]["vpc-a"]["ipv4_ipam_pool_id"]
'${alicloud_vpc_ipam_ipam_pool.corp.id}'
>>> check(files, "alicloud")
[]
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from importlib import resources as _resources
from pathlib import Path
from typing import Any

from ..analysis.runs import Run, run
from ..values.errors import UsageError

__all__ = ["PROVIDERS", "check", "export_terraform", "terraform_config", "write_config"]

#: Terraform arguments and attributes per provider and resource type, with doc links.
PROVIDERS: dict[str, Any] = {
    k: v for k, v in json.loads(
        _resources.files(__package__).joinpath("providers.json").read_text("utf-8")).items()
    if k != "//"}

#: Meta-arguments Terraform accepts on every resource.
_META = frozenset({"provider", "depends_on", "count", "for_each", "lifecycle"})
_REF = re.compile(r"\$\{([^}]*)\}")
_NAME_OK = re.compile(r"[^A-Za-z0-9_-]")


def _name(label: str) -> str:
    """A Terraform name for a scenario label: letters, digits, ``_`` and ``-``.

    >>> _name("vpc-shop"), _name("10.0.0.0/24"), _name("Business/Retail")
    ('vpc-shop', '_10_0_0_0_24', 'Business_Retail')
    """
    text = _NAME_OK.sub("_", label)
    return text if text[:1].isalpha() or text[:1] == "_" else f"_{text}"


class _Names:
    """Unique sanitised names per resource type."""

    def __init__(self) -> None:
        self.used: dict[str, set[str]] = defaultdict(set)

    def __call__(self, kind: str, label: str) -> str:
        base = _name(label)
        name, n = base, 2
        while name in self.used[kind]:
            name, n = f"{base}_{n}", n + 1
        self.used[kind].add(name)
        return name


@dataclass
class _Config:
    provider: str
    resources: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: defaultdict(dict))
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    names: _Names = field(default_factory=_Names)

    def add(self, kind: str, label: str, body: dict[str, Any]) -> str:
        name = self.names(kind, label)
        self.resources[kind][name] = body
        return f"{kind}.{name}"

    def var(self, name: str, description: str, default: str | None = None) -> str:
        name = _name(name)
        spec: dict[str, Any] = {"type": "string", "description": description}
        if default is not None:
            spec["default"] = default
        self.variables.setdefault(name, spec)
        return f"${{var.{name}}}"


#: The prefix lengths of the IPv6 block an ``aws_vpc`` may ask an IPAM pool for
#: (``ipv6_netmask_length``, as the provider checks it).
AWS_VPC_IPV6_MASKS = (44, 48, 52, 56, 60)


def _ref(address: str, attribute: str = "id") -> str:
    return f"${{{address}.{attribute}}}"


def terraform_config(source: Any, provider: str = "alicloud") -> dict[str, dict[str, Any]]:
    """The Terraform JSON files (``{file name: JSON object}``) of a simulation's state.

    ``source`` is a :class:`~simkit.engine.simulation.Simulation` or a
    :class:`~simkit.analysis.runs.Run`.  Raises UsageError for an unknown
    provider; the result has passed :func:`check`.
    """
    if provider not in PROVIDERS:
        raise UsageError(f"unknown Terraform provider {provider!r}; choose one of "
                         f"{', '.join(PROVIDERS)}")
    sim = getattr(source, "simulation", source)
    cfg = _Config(provider)
    aws = provider == "aws"
    model = sim.model
    t = {  # resource types of this provider, by concept
        "ipam": "aws_vpc_ipam" if aws else "alicloud_vpc_ipam_ipam",
        "scope": "aws_vpc_ipam_scope" if aws else "alicloud_vpc_ipam_ipam_scope",
        "pool": "aws_vpc_ipam_pool" if aws else "alicloud_vpc_ipam_ipam_pool",
        "cidr": "aws_vpc_ipam_pool_cidr" if aws else "alicloud_vpc_ipam_ipam_pool_cidr",
        "alloc": "aws_vpc_ipam_pool_cidr_allocation" if aws
        else "alicloud_vpc_ipam_ipam_pool_allocation",
        "share": "aws_ram_resource_share" if aws else "alicloud_resource_manager_resource_share",
        "res": "aws_ram_resource_association" if aws
        else "alicloud_resource_manager_shared_resource",
        "target": "aws_ram_principal_association" if aws
        else "alicloud_resource_manager_shared_target",
        "vpc": "aws_vpc" if aws else "alicloud_vpc",
        "secondary": "aws_vpc_ipv4_cidr_block_association" if aws
        else "alicloud_vpc_ipv4_cidr_block",
    }

    # -- providers: one alias per (account, region) that acts ------------------------------
    acting: dict[str, set[str]] = defaultdict(set)
    for ipam in model.ipams.values():
        acting[ipam.owner].add(ipam.region)
    for vpc in model.vpcs.values():
        if vpc.allocations:
            acting[vpc.owner].add(vpc.region)
    for share in sim.shares.all():
        # a share is made in the home region of the IPAM of its (first) pool
        home = next((model.pools[p] for p in share.resources if p in model.pools), None)
        if share.active and home is not None:
            acting[share.owner].add(model.ipams[home.ipam].region)
    for a in model.allocations.values():
        if a.type == "Custom" and a.pool in model.pools:
            acting[a.created_by].add(model.ipams[model.pools[a.pool].ipam].region)

    def region_value(region: str) -> str:
        if not aws:
            return region
        return cfg.var(f"region_{region}", f"the AWS region that plays the scenario's region "
                                           f"{region}", default=region)

    def account_var(account: str) -> str:
        return cfg.var(f"account_{account}", f"the account id of the scenario's account "
                                             f"{account}")

    alias: dict[tuple[str, str], str] = {}
    role = cfg.var("role_name", "the role each provider assumes in its account",
                   default="OrganizationAccountAccessRole" if aws
                   else "ResourceDirectoryAccountAccessRole")
    for account in sorted(acting):
        regions = sorted(acting[account])
        for region in regions:
            name = _name(account if len(regions) == 1 else f"{account}_{region}")
            alias[account, region] = f"{provider}.{name}"
            arn = (f"arn:aws:iam::{account_var(account)}:role/{role}" if aws
                   else f"acs:ram::{account_var(account)}:role/{role}")
            cfg.providers[name] = {"alias": name, "region": region_value(region),
                                   "assume_role": [{"role_arn": arn}]}

    # -- IPAMs, scopes, pools, provisioned CIDRs --------------------------------------------
    ipam_ref: dict[str, str] = {}
    scope_ref: dict[str, str] = {}
    pool_ref: dict[str, str] = {}
    pool_cidrs: dict[str, list[str]] = defaultdict(list)
    for ipam in sorted(model.ipams.values(), key=lambda i: i.id):
        prov = alias[ipam.owner, ipam.region]
        regions = list(ipam.operating_regions)
        body: dict[str, Any] = {"provider": prov}
        if aws:
            body["description"] = ipam.id
            body["operating_regions"] = [{"region_name": region_value(r)} for r in regions]
        else:
            body["ipam_name"] = ipam.id
            body["operating_region_list"] = regions
        ipam_ref[ipam.id] = cfg.add(t["ipam"], ipam.id, body)
        scope_ref[ipam.scopes[0]] = _ref(ipam_ref[ipam.id], "private_default_scope_id")
        for sid in ipam.scopes[2:]:
            body = {"provider": prov, "ipam_id": _ref(ipam_ref[ipam.id])}
            body.update({"description": sid} if aws else
                        {"ipam_scope_name": sid, "ipam_scope_type": "private"})
            scope_ref[sid] = _ref(cfg.add(t["scope"], sid, body))
    def public(pool: Any) -> bool:
        """In the public scope: IPv6 space the cloud hands out, so asked for by mask."""
        return model.scopes[pool.scope].kind == "public"

    last_from: dict[str, str] = {}      # an IPv6 source pool -> its last provisioning by mask
    for pool in sorted(model.pools.values(), key=lambda p: (p.depth, p.id)):
        ipam = model.ipams[pool.ipam]
        if public(pool) and pool.scope not in scope_ref:
            # the public scope (IPv6): aws refers to it; the alicloud IPAM does not expose its id
            scope_ref[pool.scope] = (
                _ref(ipam_ref[ipam.id], "public_default_scope_id") if aws else
                cfg.var(f"public_scope_id_{ipam.id}", f"the id of the public scope the cloud "
                        f"made with the IPAM {ipam.id} (aliyun vpcipam ListIpamScopes)"))
        prov = alias[ipam.owner, ipam.region]
        body = {"provider": prov, "ipam_scope_id": scope_ref[pool.scope]}
        if aws:
            body["address_family"] = f"ipv{pool.version}"
            if pool.region:
                body["locale"] = region_value(pool.region)
            rules = {"allocation_min_netmask_length": pool.min_mask,
                     "allocation_max_netmask_length": pool.max_mask,
                     "allocation_default_netmask_length": pool.default_mask}
            if pool.description or pool.name:
                body["description"] = pool.description or pool.name
            if public(pool):            # Amazon's IPv6 space, for VPCs
                body["aws_service"] = "ec2"
                if pool.source is None:
                    body["public_ip_source"] = "amazon"
        else:
            body["ip_version"] = f"IPv{pool.version}"
            if pool.region:
                body["pool_region_id"] = pool.region
            if public(pool) and pool.source is None and pool.isp:
                body["ipv6_isp"] = pool.isp
            rules = {"allocation_min_cidr_mask": pool.min_mask,
                     "allocation_max_cidr_mask": pool.max_mask,
                     "allocation_default_cidr_mask": pool.default_mask}
            body["ipam_pool_name"] = pool.name or pool.id
            if pool.description:
                body["ipam_pool_description"] = pool.description
        # the first two rules are the minimum and maximum mask: written unless the defaults
        lo, hi = list(rules)[:2]
        defaults = {lo: 0, hi: 32 if pool.version == 4 else 128}
        body.update({k: v for k, v in rules.items()
                     if v is not None and defaults.get(k) != v})
        if pool.source is not None and pool.source in pool_ref:
            body["source_ipam_pool_id"] = _ref(pool_ref[pool.source])
        if pool.auto_import:
            body["auto_import"] = True
        pool_ref[pool.id] = cfg.add(t["pool"], pool.id, body)
        for n, cidr in enumerate(pool.space.provisioned(), 1):
            body = {"provider": prov, "ipam_pool_id": _ref(pool_ref[pool.id])}
            if public(pool):    # the cloud hands out the block: asked for by mask, in order
                body["netmask_length"] = cidr.prefixlen
            else:
                body["cidr"] = str(cidr)
            if pool.source is not None and pool_cidrs.get(pool.source):
                body["depends_on"] = list(pool_cidrs[pool.source])
                if public(pool) and pool.source in last_from:
                    body["depends_on"].append(last_from[pool.source])
            pool_cidrs[pool.id].append(cfg.add(t["cidr"], f"{pool.id}_{n}", body))
            if public(pool) and pool.source is not None:
                last_from[pool.source] = pool_cidrs[pool.id][-1]
    if any(map(public, model.pools.values())):
        cfg.remarks.append("IPv6 pools take their blocks by mask: the cloud gives a public "
                           "top-level pool a block of its own IPv6 space (not the planned "
                           "one), and each child and VPC the first free block of it, in the "
                           "order the depends_on chains give")

    # -- shares ------------------------------------------------------------------------------
    share_deps: dict[tuple[str, str], list[str]] = defaultdict(list)  # (pool, account) -> deps
    deleted = []
    for share in sorted(sim.shares.all(), key=lambda s: s.id):
        if not share.active:
            deleted.append(share.id)
            continue
        home = next((model.pools[p] for p in share.resources if p in model.pools), None)
        if home is None:
            cfg.notes.append(f"share {share.id}: it holds no pool: not exported")
            continue
        prov = alias[share.owner, model.ipams[home.ipam].region]
        body = {"provider": prov}
        if aws:
            body.update(name=share.id, allow_external_principals=share.allow_external)
        else:
            body.update(resource_share_name=share.id, allow_external_targets=share.allow_external)
        share_addr = cfg.add(t["share"], share.id, body)
        share_id = _ref(share_addr, "arn" if aws else "id")
        links = []
        for pid in share.resources:
            if pid not in pool_ref:
                continue
            body = {"provider": prov}
            if aws:
                body.update(resource_arn=_ref(pool_ref[pid], "arn"), resource_share_arn=share_id)
            else:
                body.update(resource_id=_ref(pool_ref[pid]), resource_share_id=share_id,
                            resource_type="IpamPool")
            links.append(cfg.add(t["res"], f"{share.id}_{pid}", body))
        for principal in share.principals:
            if principal.kind == "rd":
                target = cfg.var("organization_arn", "the ARN of the AWS Organization") if aws \
                    else cfg.var("resource_directory_id", "the id of the resource directory")
            elif principal.kind == "folder":
                target = (cfg.var(f"ou_arn_{principal.value}", f"the ARN of the organizational "
                                  f"unit that plays the folder {principal.value}") if aws else
                          cfg.var(f"folder_id_{principal.value}", f"the id (fd-...) of the "
                                  f"folder {principal.value}"))
            else:
                target = account_var(principal.value)
            body = {"provider": prov}
            if aws:
                body.update(principal=target, resource_share_arn=share_id)
            else:
                body.update(resource_share_id=share_id, target_id=target)
            addr = cfg.add(t["target"], f"{share.id}_{principal}", body)
            for pid in share.resources:
                for account in sim.org.members() + sim.org.externals():
                    if account != share.owner and sim.shares.sees(account, pid):
                        share_deps[pid, account].extend(links + [addr])
            if principal.kind == "account" and not sim.org.is_member(principal.value):
                cfg.remarks.append(f"share {share.id}: the external account {principal.value} "
                                 "must accept the invitation (not a resource here)")
        if aws and any(p.kind == "folder" for p in share.principals):
            cfg.remarks.append(f"share {share.id}: folders are shared as AWS organizational units; "
                             "AWS shares with an OU only inside an AWS Organization with RAM "
                             "sharing enabled, and has no folder-level share outside one")
    if deleted:
        cfg.notes.append(f"deleted shares ({', '.join(deleted)}): not exported (the state has "
                         "them only as history)")

    # -- allocations: in each pool in creation order (requests by mask take the first free
    #    block, so the order matters) --------------------------------------------------------
    last_in_pool: dict[str, str] = {}

    def deps(pool_id: str, account: str) -> list[str]:
        out = list(pool_cidrs.get(pool_id, []))
        if pool_id in last_in_pool:
            out.append(last_in_pool[pool_id])
        out += share_deps.get((pool_id, account), [])
        return list(dict.fromkeys(out))

    vpc_ref: dict[str, str] = {}
    unmanaged = sorted(v.id for v in model.vpcs.values() if not v.allocations)
    order = sorted(model.allocations.values(), key=lambda a: (str(a.created_at), a.id))
    for a in order:
        if a.type == "IpamPool" or a.pool not in pool_ref:
            continue
        pool = model.pools[a.pool]
        ipam = model.ipams[pool.ipam]
        if a.type == "Custom":
            prov = alias[a.created_by, ipam.region]
            body = {"provider": prov, "ipam_pool_id": _ref(pool_ref[a.pool])}
            if public(pool):            # in the cloud's IPv6 space: by mask, in order
                body["netmask_length" if aws else "cidr_mask"] = a.cidr.prefixlen
            else:
                body["cidr"] = str(a.cidr)
            body["description" if aws else "ipam_pool_allocation_name"] = a.resource
            body["depends_on"] = deps(a.pool, a.created_by)
            last_in_pool[a.pool] = cfg.add(t["alloc"], a.resource, body)
            continue
        vpc = model.vpcs.get(a.resource)
        if vpc is None:
            continue
        prov = alias[vpc.owner, vpc.region]
        if a.cidr.version == 6:
            if vpc.cidr is None:
                cfg.notes.append(f"VPC {vpc.id}: IPv6 only, which the export does not write "
                                 "(a VPC there has an IPv4 CIDR)")
            elif a.cidr != vpc.ipv6_cidr:
                cfg.notes.append(f"VPC {vpc.id}: its secondary IPv6 block {a.cidr} from pool "
                                 f"{a.pool} is not exported")
            continue                    # a dual-stack VPC's block: written with the VPC
        if a.cidr == vpc.cidr:
            six = next((model.allocations[x] for x in vpc.allocations
                        if x in model.allocations and model.allocations[x].cidr == vpc.ipv6_cidr
                        and model.allocations[x].pool in pool_ref), None)
            if six is not None and aws and six.cidr.prefixlen not in AWS_VPC_IPV6_MASKS:
                cfg.notes.append(f"VPC {vpc.id}: its IPv6 block {six.cidr}: AWS gives a VPC "
                                 f"an IPv6 block from a pool of /"
                                 f"{', /'.join(map(str, AWS_VPC_IPV6_MASKS))} only; the VPC "
                                 "is exported with its IPv4 CIDR alone")
                six = None
            planned = f"{a.cidr}" if six is None else f"{a.cidr} and {six.cidr}"
            body = {"provider": prov, "ipv4_ipam_pool_id": _ref(pool_ref[a.pool])}
            if aws:
                body.update(ipv4_netmask_length=a.cidr.prefixlen, tags={
                    "Name": vpc.id, "simkit_planned_cidr": planned})
            else:
                body.update(vpc_name=vpc.id, ipv4_cidr_mask=a.cidr.prefixlen,
                            description=f"planned CIDR {planned}")
            body["depends_on"] = deps(a.pool, vpc.owner)
            if six is not None:         # dual-stack: the IPv6 block by mask from its pool
                body["ipv6_ipam_pool_id"] = _ref(pool_ref[six.pool])
                body["ipv6_netmask_length" if aws else "ipv6_cidr_mask"] = six.cidr.prefixlen
                if not aws:
                    body["enable_ipv6"] = True
                body["depends_on"] = list(dict.fromkeys(body["depends_on"]
                                                        + deps(six.pool, vpc.owner)))
            if vpc.owner != pool.owner and (a.pool, vpc.owner) not in share_deps:
                cfg.remarks.append(f"VPC {vpc.id} of {vpc.owner} draws from the pool {a.pool} "
                                   f"of {pool.owner}, which no exported share reaches now: "
                                   "creating it needs a share at that time")
            vpc_ref[vpc.id] = cfg.add(t["vpc"], vpc.id, body)
            last_in_pool[a.pool] = vpc_ref[vpc.id]
            if six is not None:
                last_in_pool[six.pool] = vpc_ref[vpc.id]
        elif vpc.id in vpc_ref:
            body = {"provider": prov, "vpc_id": _ref(vpc_ref[vpc.id]),
                    "ipv4_ipam_pool_id": _ref(pool_ref[a.pool])}
            body["ipv4_netmask_length" if aws else "secondary_cidr_mask"] = a.cidr.prefixlen
            body["depends_on"] = deps(a.pool, vpc.owner)
            last_in_pool[a.pool] = cfg.add(t["secondary"], f"{vpc.id}_{a.cidr}", body)
        else:
            cfg.notes.append(f"VPC {vpc.id}: its primary CIDR {vpc.cidr} is Unmanaged, so its "
                             f"secondary CIDR {a.cidr} from pool {a.pool} is not exported")
    for vpc in sorted(model.vpcs.values(), key=lambda v: v.id):
        linked = {model.allocations[a].cidr for a in vpc.allocations if a in model.allocations}
        loose = [str(c) for c in vpc.secondary if c not in linked]
        if vpc.allocations and loose:
            cfg.notes.append(f"VPC {vpc.id}: the secondary CIDRs {', '.join(loose)} are linked "
                             "to no pool: not exported")
    if unmanaged:
        cfg.notes.append(f"Unmanaged VPCs ({', '.join(unmanaged)}): not exported; they exist "
                         "already, outside IPAM (import them with terraform import if wanted)")
    if sim.reserved:
        cfg.notes.append(f"reserved ranges ({', '.join(n for n, _ in sim.reserved)}): not "
                         "exported; they are space used outside the cloud")
    if any(v.allocations for v in model.vpcs.values()):
        cfg.remarks.append("VPCs ask their pool for a block by mask; the cloud gives the "
                           "first free block, which is the planned CIDR (in each VPC's "
                           "description or tags) when the pools are applied empty, in the "
                           "order the depends_on chains give")
    files = _files(cfg)
    problems = check(files, provider)
    if problems:
        raise AssertionError("the export broke its own schema check: " + "; ".join(problems))
    return files


def _files(cfg: _Config) -> dict[str, dict[str, Any]]:
    docs = PROVIDERS[cfg.provider]["resources"]
    used = sorted(cfg.resources)
    comment = [
        f"Terraform configuration exported by simkit for the {cfg.provider} provider.",
        "Set the variables (account ids, and folder or directory ids for shares), then "
        "terraform init and terraform apply.",
        "Resource types used, with their documentation:",
        *[f"  {kind}: {docs[kind]['doc']}" for kind in used],
        "Not exported, and why:" if cfg.notes else "Everything in the final state is exported.",
        *[f"  - {n}" for n in cfg.notes],
        *(["Notes:"] if cfg.remarks else []),
        *[f"  - {n}" for n in cfg.remarks],
    ]
    main: dict[str, Any] = {
        "//": "\n".join(comment),
        "terraform": {"required_providers": {cfg.provider: {
            "source": PROVIDERS[cfg.provider]["source"]}}},
        "variable": dict(sorted(cfg.variables.items())),
    }
    if cfg.providers:
        main["provider"] = {cfg.provider: [cfg.providers[k] for k in sorted(cfg.providers)]}
    files = {"main.tf.json": main}
    if cfg.resources:
        files["resources.tf.json"] = {"resource": {k: cfg.resources[k] for k in used}}
    return files


def check(files: dict[str, dict[str, Any]], provider: str) -> list[str]:
    """Problems of a configuration: unknown arguments, dangling references.

    Every argument of every resource must be one the provider documents
    (:data:`PROVIDERS`); every ``${type.name.attribute}`` must name a
    resource of the configuration and an argument or attribute of its type;
    every ``${var.NAME}`` a declared variable; every ``depends_on`` entry a
    resource; every ``provider`` a declared alias.  An empty list: no problem.

    Examples
    --------
    >>> check({"r.tf.json": {"resource": {"alicloud_vpc": {"a": {
    ...     "vpc_nam": "x", "ipv4_ipam_pool_id": "${alicloud_vpc_ipam_ipam_pool.hz.id}"}}}}},
    ...       "alicloud")   # doctest: +NORMALIZE_WHITESPACE
    ['alicloud_vpc.a: unknown argument vpc_nam',
     'alicloud_vpc.a: ipv4_ipam_pool_id refers to alicloud_vpc_ipam_ipam_pool.hz, which is
      not declared']
    """
    spec = PROVIDERS[provider]
    resources: dict[str, dict[str, Any]] = {}
    variables: set[str] = set()
    aliases: set[str] = set()
    for content in files.values():
        for kind, named in content.get("resource", {}).items():
            for name, body in named.items():
                resources[f"{kind}.{name}"] = body
        variables.update(content.get("variable", {}))
        for block in content.get("provider", {}).get(provider, []):
            aliases.add(f"{provider}.{block['alias']}")
    problems = []
    for block in (b for c in files.values() for b in c.get("provider", {}).get(provider, [])):
        problems += _check_args(f"provider {provider}", block, spec["provider"])
        problems += _check_refs(f"provider {provider}.{block.get('alias')}", block, resources,
                                variables, spec)
    for address, body in resources.items():
        kind = address.split(".")[0]
        if kind not in spec["resources"]:
            problems.append(f"{address}: {kind} is not a resource type of the {provider} data")
            continue
        problems += _check_args(address, body, spec["resources"][kind], meta=True)
        problems += _check_refs(address, body, resources, variables, spec)
        for dep in body.get("depends_on", []):
            if dep not in resources:
                problems.append(f"{address}: depends_on {dep}, which is not declared")
        if "provider" in body and body["provider"] not in aliases:
            problems.append(f"{address}: provider {body['provider']} is not declared")
    return problems


def _check_args(address: str, body: dict[str, Any], spec: dict[str, Any], *,
                meta: bool = False) -> list[str]:
    problems = []
    blocks = spec.get("blocks", {})
    for key, value in body.items():
        if meta and key in _META:
            continue
        if key in blocks:
            for item in value if isinstance(value, list) else [value]:
                problems += [f"{address}: unknown argument {key}.{k}" for k in item
                             if k not in blocks[key]]
        elif key not in spec["arguments"]:
            problems.append(f"{address}: unknown argument {key}")
    return problems


def _check_refs(address: str, body: Any, resources: dict[str, Any], variables: set[str],
                spec: dict[str, Any], key: str = "") -> list[str]:
    problems = []
    if isinstance(body, dict):
        for k, v in body.items():
            if k not in ("depends_on", "provider"):
                problems += _check_refs(address, v, resources, variables, spec, k)
    elif isinstance(body, list):
        for v in body:
            problems += _check_refs(address, v, resources, variables, spec, key)
    elif isinstance(body, str):
        for expr in _REF.findall(body):
            parts = expr.split(".")
            if parts[0] == "var":
                if len(parts) != 2 or parts[1] not in variables:
                    problems.append(f"{address}: {key} refers to {expr}, which is not declared")
                continue
            if len(parts) != 3:
                problems.append(f"{address}: {key} has the reference {expr!r}: expected "
                                "TYPE.NAME.ATTRIBUTE")
                continue
            target = f"{parts[0]}.{parts[1]}"
            if target not in resources:
                problems.append(f"{address}: {key} refers to {target}, which is not declared")
                continue
            known = spec["resources"].get(parts[0], {})
            if parts[2] not in known.get("attributes", []) + known.get("arguments", []):
                problems.append(f"{address}: {key} refers to {expr}, an attribute "
                                f"{parts[0]} does not have")
    return problems


def write_config(files: dict[str, dict[str, Any]], directory: str | Path) -> list[Path]:
    """Write the files of :func:`terraform_config` into ``directory`` (created if needed).

    Raises UsageError when ``directory`` is an existing file or cannot be written.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target}: exists and is not a directory; give a directory for the "
                         "*.tf.json files")
    written = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            path = target / name
            path.write_text(json.dumps(content, indent=2) + "\n", encoding="utf-8")
            written.append(path)
    except OSError as err:
        raise UsageError(f"{target}: cannot write the Terraform files: {err.strerror}") from err
    return written


def export_terraform(scenario: Any, directory: str | Path, provider: str = "alicloud",
                     ) -> list[Path]:
    """Run ``scenario`` (a path, a Scenario or a finished Run) and write its final state.

    Returns the paths written.  Raises ScenarioError for an invalid scenario
    and UsageError for an unknown provider or a bad output directory.
    """
    result = scenario if isinstance(scenario, Run) else run(scenario)
    return write_config(terraform_config(result, provider), directory)
