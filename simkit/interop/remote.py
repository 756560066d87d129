"""Read the List/Describe answers of a running ``simkit serve`` through the official SDKs.

:func:`endpoint_responses` calls the server as one account, with the
Alibaba Cloud SDK clients users' code calls it with
(``alibabacloud_vpcipam20230228``, ``alibabacloud_vpc20160428``,
``alibabacloud_resourcesharing20200110``), follows ``NextToken`` and
``PageNumber`` across pages, and returns each page's body as the SDK reads
it (``to_map()``), in the series :func:`simkit.interop.dump` writes.  The
answers are that account's view: the pools it owns or is lent, the VPCs it
owns, the shares it owns.  The resource directory calls are not made: the
server does not serve them, and the import falls back when they are absent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..values.errors import UsageError

__all__ = ["SDK_PACKAGES", "endpoint_responses", "is_endpoint"]

#: The SDK packages a dump of a running server needs (they are in simkit's ``dev`` extra).
SDK_PACKAGES = ("alibabacloud_vpcipam20230228", "alibabacloud_vpc20160428",
                "alibabacloud_resourcesharing20200110")

#: The largest page each style of list takes (MaxResults, PageSize).
_MOST = {"token": 100, "number": 50}


def is_endpoint(source: Any) -> bool:
    """True for an ``http(s)://`` URL or an object with a ``url`` attribute (a server)."""
    if isinstance(source, str):
        return source.startswith(("http://", "https://"))
    return isinstance(getattr(source, "url", None), str)


def _address(source: Any) -> tuple[str, str, str]:
    """(url, protocol, host:port) of an endpoint or a URL."""
    url = source if isinstance(source, str) else source.url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise UsageError(f"{url}: not the URL of a server; give one such as "
                         "http://127.0.0.1:8765 (scheme, host and port, no path)")
    return url.rstrip("/"), parts.scheme, parts.netloc


def _sdk() -> dict[str, Any]:
    try:
        from alibabacloud_resourcesharing20200110 import models as rm
        from alibabacloud_resourcesharing20200110.client import Client as SharingClient
        from alibabacloud_tea_openapi import models as open_api_models
        from alibabacloud_tea_util import models as util_models
        from alibabacloud_vpc20160428 import models as vm
        from alibabacloud_vpc20160428.client import Client as VpcClient
        from alibabacloud_vpcipam20230228 import models as im
        from alibabacloud_vpcipam20230228.client import Client as IpamClient
        from Tea.exceptions import TeaException
    except ImportError as err:
        raise UsageError(
            f"dumping a running server needs the Alibaba Cloud SDKs ({err.name} is missing); "
            f"install {', '.join(p.replace('_', '-') for p in SDK_PACKAGES)} "
            "(pip install 'simkit[dev]')") from None
    return {"rm": rm, "vm": vm, "im": im, "config": open_api_models.Config,
            "runtime": util_models.RuntimeOptions, "error": TeaException,
            "clients": (IpamClient, VpcClient, SharingClient)}


def endpoint_responses(source: Any, *, account: str, region: str = "cn-hangzhou",
                       access_key_id: str | None = None, access_key_secret: str = "unused",
                       max_results: int = 10,
                       timeout_ms: int = 10_000) -> dict[str, list[dict[str, Any]]]:
    """Every List/Describe answer ``account`` gets from a running server: ``{series: pages}``.

    ``access_key_id`` defaults to ``account`` (the server's keys when the
    scenario declares none); give it and ``access_key_secret`` when the
    scenario declares ``access_keys``.  A refused call or an unreachable
    server raises one :class:`~simkit.values.errors.UsageError` naming the
    call, the URL and the server's error code.
    """
    url, protocol, host = _address(source)
    if not account:
        raise UsageError(f"{url}: give the account to dump as (account=...); the server "
                         "answers each account with what that account sees")
    if max_results < 1:
        raise UsageError(f"max_results is at least 1, not {max_results}")
    sdk = _sdk()
    im, vm, rm = sdk["im"], sdk["vm"], sdk["rm"]
    config = sdk["config"](access_key_id=access_key_id or account,
                           access_key_secret=access_key_secret, endpoint=host,
                           protocol=protocol, region_id=region)
    ipam, vpc, sharing = (cls(config) for cls in sdk["clients"])
    runtime = sdk["runtime"](autoretry=False, max_attempts=1, connect_timeout=timeout_ms,
                             read_timeout=timeout_ms)

    def call(action: str, method: Callable[..., Any], request: Any) -> dict[str, Any]:
        try:
            body = method(request, runtime).body
        except sdk["error"] as err:
            code = getattr(err, "code", None)
            message = str(getattr(err, "message", None) or err)
            if code and code not in ("UnretryableError", "RequestTimeout"):
                message = re.sub(r"^code: \d+, | request id: \S+$", "", message)
                raise UsageError(f"{url}: {action} as {account} was refused: {code}: "
                                 f"{message}") from None
            reason = re.search(r"\[Errno -?\d+\] [^\"')]+", message)
            raise UsageError(f"{url}: {action}: cannot reach the server "
                             f"({reason.group(0) if reason else message}); is `simkit serve` "
                             "running there?") from None
        except OSError as err:
            raise UsageError(f"{url}: {action}: cannot reach the server ({err}); is "
                             "`simkit serve` running there?") from None
        return body.to_map()

    def token_pages(action: str, method: Callable[..., Any], make: Callable[..., Any]
                    ) -> list[dict[str, Any]]:
        size = min(max_results, _MOST["token"])
        pages, token, seen = [], None, set()
        while True:
            page = call(action, method, make(max_results=size, next_token=token))
            pages.append(page)
            token = page.get("NextToken") or None
            if token is None:
                return pages
            if token in seen:
                raise UsageError(f"{url}: {action} gave the NextToken {token!r} twice; "
                                 "the pages do not end")
            seen.add(token)

    def number_pages(action: str, method: Callable[..., Any], make: Callable[..., Any]
                     ) -> list[dict[str, Any]]:
        size = min(max_results, _MOST["number"])
        pages, number = [], 1
        while True:
            page = call(action, method, make(page_number=number, page_size=size))
            pages.append(page)
            if number * size >= int(page.get("TotalCount") or 0):
                return pages
            number += 1

    out: dict[str, list[dict[str, Any]]] = {}
    out["ListIpams"] = token_pages("ListIpams", ipam.list_ipams_with_options,
                                   lambda **kw: im.ListIpamsRequest(region_id=region, **kw))
    out["ListIpamScopes"] = token_pages(
        "ListIpamScopes", ipam.list_ipam_scopes_with_options,
        lambda **kw: im.ListIpamScopesRequest(region_id=region, **kw))
    out["ListIpamPools"] = token_pages(
        "ListIpamPools", ipam.list_ipam_pools_with_options,
        lambda **kw: im.ListIpamPoolsRequest(region_id=region, **kw))
    pools = sorted({p["IpamPoolId"] for page in out["ListIpamPools"]
                    for p in page.get("IpamPools") or [] if p.get("IpamPoolId")})
    for pool in pools:
        out[f"ListIpamPoolCidrs.{pool}"] = token_pages(
            "ListIpamPoolCidrs", ipam.list_ipam_pool_cidrs_with_options,
            lambda pool=pool, **kw: im.ListIpamPoolCidrsRequest(
                region_id=region, ipam_pool_id=pool, **kw))
        out[f"ListIpamPoolAllocations.{pool}"] = token_pages(
            "ListIpamPoolAllocations", ipam.list_ipam_pool_allocations_with_options,
            lambda pool=pool, **kw: im.ListIpamPoolAllocationsRequest(
                region_id=region, ipam_pool_id=pool, **kw))
    out["DescribeVpcs"] = number_pages(
        "DescribeVpcs", vpc.describe_vpcs_with_options,
        lambda **kw: vm.DescribeVpcsRequest(region_id=region, **kw))
    out["ListResourceShares"] = token_pages(
        "ListResourceShares", sharing.list_resource_shares_with_options,
        lambda **kw: rm.ListResourceSharesRequest(resource_owner="Self", **kw))
    for kind in ("Resource", "Target"):     # one call per kind, one series each
        out[f"ListResourceShareAssociations.{kind}"] = token_pages(
            "ListResourceShareAssociations",
            sharing.list_resource_share_associations_with_options,
            lambda kind=kind, **kw: rm.ListResourceShareAssociationsRequest(
                association_type=kind, **kw))
    return out

