"""The cloud's request protocol: parameters, callers, signatures and error answers.

Two request styles reach the same operations.  ACS3 (the official SDKs'
default) names the call in the ``x-acs-action`` and ``x-acs-version``
headers, puts every parameter in the URL query and signs with
``ACS3-HMAC-SHA256`` in the ``Authorization`` header; the older RPC style
(``signature_algorithm="v2"``) puts ``Action``, ``Version``, ``AccessKeyId``
and an ``HMAC-SHA1`` ``Signature`` in the query (or a form body).
:class:`WireError` is the one error the server answers with:
``{"RequestId", "HostId", "Code", "Message", "Recommend"}`` and the code's
HTTP status.

Examples
--------
>>> encode("a b/c~")
'a%20b%2Fc~'
>>> canonical_query({"b": "2", "a": "x y"})
'a=x%20y&b=2'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from ..values.errors import ERROR_CODES, SimkitError

__all__ = ["Credentials", "WireError", "acs3_signature", "canonical_query", "credentials",
           "encode", "v2_signature"]

_CREDENTIAL = re.compile(r"Credential=([^,\s]*)")
_SIGNED = re.compile(r"SignedHeaders=([^,\s]*)")
_SIGNATURE = re.compile(r"Signature=([0-9a-fA-F]*)")


class WireError(SimkitError):
    """A request the server refuses: the cloud's ``code``, its HTTP status and a message."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        entry = ERROR_CODES.get(code)
        self.code = code
        self.message = message
        self.status = status if status is not None else (entry.http_status if entry else 400)
        super().__init__(f"{code}: {message}")


def encode(text: str) -> str:
    """Percent-encode as RFC 3986 (only letters, digits and ``-_.~`` stay)."""
    return quote(text, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    """The query sorted by key, keys and values percent-encoded, joined by ``&``."""
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(params.items()))


def acs3_signature(secret: str, method: str, path: str, params: Mapping[str, str],
                   headers: Mapping[str, str], signed: list[str], payload_hash: str) -> str:
    """The hex ``ACS3-HMAC-SHA256`` signature of a request."""
    lines = "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed)
    canonical = "\n".join([method, path or "/", canonical_query(params), lines,
                           ";".join(signed), payload_hash])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def v2_signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    """The base64 ``HMAC-SHA1`` signature of an RPC-style (v2) request."""
    query = canonical_query({k: v for k, v in params.items() if k != "Signature"})
    to_sign = f"{method}&{encode('/')}&{encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Credentials:
    """Who signs a request and how: the key id, and a function checking a secret."""

    key_id: str
    style: str                      # "acs3" or "v2"
    signature: str
    signed_headers: tuple[str, ...] = ()


def credentials(headers: Mapping[str, str], params: Mapping[str, str]) -> Credentials:
    """The key id and signature of a request, in either style.

    Raises WireError ``InvalidAccessKeyId.NotFound`` when the request names no key.
    """
    auth = headers.get("authorization", "")
    if auth.startswith("ACS3-HMAC-SHA256"):
        key = _CREDENTIAL.search(auth)
        signed = _SIGNED.search(auth)
        signature = _SIGNATURE.search(auth)
        if key and key.group(1):
            return Credentials(key.group(1), "acs3", signature.group(1) if signature else "",
                               tuple(signed.group(1).split(";")) if signed else ())
    if params.get("AccessKeyId"):
        return Credentials(params["AccessKeyId"], "v2", params.get("Signature", ""))
    raise WireError("InvalidAccessKeyId.NotFound",
                    "the request names no access key (ACS3 Authorization header or "
                    "AccessKeyId parameter)")
