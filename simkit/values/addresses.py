"""CIDR values: parsing and printing at the edges, integers inside.

netaddr parses and prints addresses; everything else in simkit works on the
integer form held by :class:`Cidr`.

Examples
--------
>>> c = Cidr.parse("198.51.100.0/24")
>>> c.value, c.prefixlen, c.version
(3325256704, 24, 4)
>>> str(c), c.size, c.last == c.value + 255
('198.51.100.0/24', 256, True)
>>> Cidr.parse("198.51.100.64/26") in c
True
>>> Cidr.parse("10.0.0.1/24")
Traceback (most recent call last):
...
simkit.DomainError: InvalidParameter: '10.0.0.1/24' is not a valid CIDR: host bits...
"""

from __future__ import annotations

from typing import NamedTuple

import netaddr

from .errors import DomainError

__all__ = ["IP_VERSIONS", "WIDTH", "Cidr", "check_mask", "ip_version", "parse_cidr"]

#: Address width in bits, by IP version.
WIDTH = {4: 32, 6: 128}

#: The IP versions by the cloud's name (``IpVersion``).
IP_VERSIONS = {"IPv4": 4, "IPv6": 6}


class Cidr(NamedTuple):
    """An IP block as integers: ``version``, first address ``value``, ``prefixlen``.

    Tuples order by version, then address, then prefix length, so sorting a
    list of CIDRs puts them in address order.
    """

    version: int
    value: int
    prefixlen: int

    @classmethod
    def parse(cls, text: object) -> Cidr:
        """Parse ``"a.b.c.d/n"`` or an IPv6 CIDR; see :func:`parse_cidr`."""
        return parse_cidr(text)

    @property
    def width(self) -> int:
        return WIDTH[self.version]

    @property
    def size(self) -> int:
        """Number of addresses in the block."""
        return 1 << (WIDTH[self.version] - self.prefixlen)

    @property
    def last(self) -> int:
        """The last address of the block, as an integer."""
        return self.value + (1 << (WIDTH[self.version] - self.prefixlen)) - 1

    def __contains__(self, other: object) -> bool:
        if not isinstance(other, Cidr):
            return False
        return (
            other.version == self.version
            and other.prefixlen >= self.prefixlen
            and (other.value >> (WIDTH[self.version] - self.prefixlen))
            == (self.value >> (WIDTH[self.version] - self.prefixlen))
        )

    def overlaps(self, other: Cidr) -> bool:
        """True when the two blocks share at least one address."""
        return (
            self.version == other.version
            and self.value <= other.last
            and other.value <= self.last
        )

    def __str__(self) -> str:
        if self.version == 4:
            value = self.value
            try:                 # one table lookup per part: a run prints a CIDR per step
                return (f"{_DOTTED[value >> 24]}{_DOTTED[(value >> 16) & 255]}"
                        f"{_DOTTED[(value >> 8) & 255]}{_OCTET[value & 255]}"
                        f"{_SLASH[self.prefixlen]}")
            except IndexError:   # not a valid IPv4 block: printed as the numbers it holds
                pass
        return f"{format_address(self.value, self.version)}/{self.prefixlen}"

    def __repr__(self) -> str:
        return f"Cidr.parse({str(self)!r})"


# The text of each IPv4 octet and of each prefix length, for Cidr.__str__: three times
# faster than formatting the integers each time.
_OCTET = tuple(str(i) for i in range(256))
_DOTTED = tuple(f"{i}." for i in range(256))
_SLASH = tuple(f"/{i}" for i in range(WIDTH[4] + 1))


def format_address(value: int, version: int) -> str:
    """Print an address integer in its usual notation."""
    if version == 4:
        return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.{value & 255}"
    return str(netaddr.IPAddress(value, 6))


def check_mask(mask: object, version: int = 4) -> int:
    """Return the mask argument ``mask`` as an int, or raise ``IllegalParam.CidrMask``.

    A mask is an integer from 0 to the address width (32 for IPv4, 128 for
    IPv6), or that integer's decimal digits as text, as on the wire; anything
    else (blanks, a leading ``/``, a float, a bool) is refused.

    >>> check_mask(24), check_mask("24"), check_mask(128, 6)
    (24, 24, 128)
    >>> check_mask(33)
    Traceback (most recent call last):
    ...
    simkit.DomainError: IllegalParam.CidrMask: the mask 33 is outside 0..32 for IPv4
    """
    width = WIDTH[version]
    if isinstance(mask, bool) or not isinstance(mask, int):
        if isinstance(mask, str) and mask.isascii() and mask.isdigit():
            mask = int(mask)
        else:
            raise DomainError("IllegalParam.CidrMask", mask=mask, max_mask=width, version=version)
    if not 0 <= mask <= width:
        raise DomainError("IllegalParam.CidrMask", mask=mask, max_mask=width, version=version)
    return mask


def ip_version(value: object) -> int:
    """The IP version 4 or 6 of ``value``: ``IPv4``, ``IPv6`` (any case), 4 or 6.

    >>> ip_version("IPv6"), ip_version("IPV4"), ip_version(6)
    (6, 4, 6)
    >>> ip_version("IPv5")
    Traceback (most recent call last):
    ...
    simkit.DomainError: InvalidParameter: 'IPv5' is not an IP version: write IPv4 or IPv6
    """
    if value in (4, 6) and not isinstance(value, bool):
        return int(value)  # type: ignore[call-overload]
    if isinstance(value, str):
        for name, version in IP_VERSIONS.items():
            if value.lower() == name.lower():
                return version
    raise DomainError("InvalidParameter", f"{value!r} is not an IP version: write IPv4 or IPv6",
                      value=value)


def parse_cidr(text: object) -> Cidr:
    """Parse a CIDR exactly as written, the way the cloud validates one.

    Anything but ``ADDRESS/N`` with the host bits clear is
    ``InvalidParameter``: blanks around or inside it, a missing prefix
    length, a prefix length over the address width (32 for IPv4, 128 for
    IPv6), a malformed address, host bits set.  ``IllegalParam.CidrMask``
    is for a *mask* argument (:func:`check_mask`), never for CIDR text.  A
    :class:`Cidr` is returned unchanged.

    Examples
    --------
    >>> parse_cidr("2001:db8::/32")
    Cidr.parse('2001:db8::/32')
    >>> for text in (" 10.0.0.0/8", "10.0.0.0", "10.0.0.0/33", "10.0.0.1/24"):
    ...     try:
    ...         parse_cidr(text)
    ...     except DomainError as err:
    ...         print(err.code, "-", err.details["reason"])
    InvalidParameter - it has blanks (write it without spaces)
    InvalidParameter - it has no prefix length (write ADDRESS/N)
    InvalidParameter - the prefix length 33 is over 32 for IPv4
    InvalidParameter - host bits are set (did you mean 10.0.0.0/24?)
    """
    if isinstance(text, Cidr):
        return text
    if isinstance(text, netaddr.IPNetwork):
        text = str(text)
    if not isinstance(text, str):
        raise DomainError("InvalidParameter", value=text, reason="a CIDR is written as text")
    if text != "".join(text.split()):
        raise DomainError(
            "InvalidParameter", value=text, reason="it has blanks (write it without spaces)"
        )
    addr_text, slash, mask_text = text.partition("/")
    if not slash:
        raise DomainError(
            "InvalidParameter", value=text, reason="it has no prefix length (write ADDRESS/N)"
        )
    if not (mask_text.isascii() and mask_text.isdigit()):
        raise DomainError(
            "InvalidParameter", value=text, reason=f"{mask_text!r} is not a prefix length"
        )
    try:
        if ":" in addr_text:
            addr = netaddr.IPAddress(addr_text, 6)
        else:
            addr = netaddr.IPAddress(addr_text, 4, flags=netaddr.INET_PTON)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise DomainError(
            "InvalidParameter", value=text, reason=f"{addr_text!r} is not an IP address"
        ) from None
    version = addr.version
    prefix = int(mask_text)
    width = WIDTH[version]
    if prefix > width:
        raise DomainError(
            "InvalidParameter", value=text,
            reason=f"the prefix length {prefix} is over {width} for IPv{version}",
        )
    value = int(addr)
    host_bits = (1 << (width - prefix)) - 1
    if value & host_bits:
        fixed = Cidr(version, value & ~host_bits, prefix)
        raise DomainError(
            "InvalidParameter", value=text, reason=f"host bits are set (did you mean {fixed}?)"
        )
    return Cidr(version, value, prefix)
