"""The address-space allocator: used and free space of one pool.

An :class:`AddressSpace` holds one or more provisioned CIDRs of one IP
version and hands out aligned blocks from them.  Free space is kept in its
canonical form, the set of maximal aligned free blocks (a buddy system): an
aligned free block of any size always lies inside exactly one of them, so

* ``first`` takes the start of the lowest-addressed free block whose size is
  at least the request,
* ``best`` the lowest-addressed of the smallest such blocks,
* ``last`` the end of the highest-addressed one, and
* ``random`` draws uniformly from every fitting aligned block,

and splitting or merging a block touches one block per bit of the prefix.
Per prefix length the starts of the free blocks sit in a heap (lazy
deletion), so no operation walks the list of allocations: the cost of an
operation is bounded by the address width (plus a heap step), whatever the
number of allocations.  The heaps for ``last`` and the index for ``random``
are built the first time those strategies are used.

Examples
--------
>>> space = AddressSpace(name="docs")
>>> space.add_cidr("198.51.100.0/24")
Cidr.parse('198.51.100.0/24')
>>> [str(space.allocate(26)) for _ in range(4)]
['198.51.100.0/26', '198.51.100.64/26', '198.51.100.128/26', '198.51.100.192/26']
>>> space.allocate(26)
Traceback (most recent call last):
...
simkit.DomainError: OperationDenied.AvailableCidrInsufficient: pool docs has no free /26 ...
>>> space.release("198.51.100.64/26")
>>> [str(c) for c in space.free_blocks()]
['198.51.100.64/26']
"""

from __future__ import annotations

import heapq
import random
from bisect import bisect_right, insort
from collections.abc import Callable, Iterator
from typing import Any

from .addresses import WIDTH, Cidr, check_mask, parse_cidr
from .errors import DomainError, UsageError
from .state import Reader

__all__ = ["STRATEGIES", "AddressSpace"]

#: The allocation strategies, ``first`` being the cloud's rule and the default.
STRATEGIES = ("first", "best", "last", "random")


class AddressSpace:
    """Provisioned, allocated and free space of one pool.

    Parameters
    ----------
    version : 4 or 6.
    name : the pool's name, used in error messages.
    rng : the generator used by the ``random`` strategy when a call does not
        pass its own (the simulation's single generator).

    Examples
    --------
    >>> space = AddressSpace(name="corp")
    >>> _ = space.add_cidr("10.0.0.0/16")
    >>> str(space.claim("10.0.4.0/22")), str(space.allocate(22))
    ('10.0.4.0/22', '10.0.0.0/22')
    >>> space.provisioned_ips, space.allocated_ips, space.free_ips
    (65536, 2048, 63488)
    >>> space.largest_free_mask
    17
    """

    __slots__ = (
        "version", "width", "name", "rng", "provisioned_ips", "allocated_ips",
        "_prov", "_prov_starts", "_free", "_alloc", "_nfree", "_heaps", "_maxheaps",
        "_rand_lists", "_rand_pos",
    )

    def __init__(self, version: int = 4, *, name: str = "pool",
                 rng: random.Random | None = None) -> None:
        if version not in WIDTH:
            raise UsageError(f"IP version must be 4 or 6, not {version!r}")
        self.version = version
        self.width = WIDTH[version]
        self.name = name
        self.rng = rng
        self.provisioned_ips = 0
        self.allocated_ips = 0
        self._prov: dict[int, int] = {}        # start -> prefix of provisioned CIDRs
        self._prov_starts: list[int] = []      # sorted starts of provisioned CIDRs
        self._free: dict[int, int] = {}        # start -> prefix of maximal free blocks
        self._alloc: dict[int, int] = {}       # start -> prefix of allocated blocks
        self._nfree = [0] * (self.width + 1)   # free blocks per prefix length
        self._heaps: list[list[int]] = [[] for _ in range(self.width + 1)]
        self._maxheaps: list[list[int]] | None = None
        self._rand_lists: list[list[int]] | None = None
        self._rand_pos: list[dict[int, int]] | None = None

    # -- figures -------------------------------------------------------------------
    @property
    def free_ips(self) -> int:
        """Provisioned addresses not in any allocation."""
        return self.provisioned_ips - self.allocated_ips

    @property
    def utilisation(self) -> float:
        """Allocated over provisioned addresses (0.0 for an empty space)."""
        return self.allocated_ips / self.provisioned_ips if self.provisioned_ips else 0.0

    @property
    def largest_free_mask(self) -> int | None:
        """Prefix length of the largest free aligned block, or None when full."""
        for prefix, count in enumerate(self._nfree):
            if count:
                return prefix
        return None

    def __len__(self) -> int:
        """Number of allocated blocks."""
        return len(self._alloc)

    def __repr__(self) -> str:
        return (f"<AddressSpace {self.name} IPv{self.version}: {len(self._prov)} CIDRs, "
                f"{len(self._alloc)} allocations, {self.allocated_ips}/"
                f"{self.provisioned_ips} IPs>")

    # -- listings ------------------------------------------------------------------
    def provisioned(self) -> list[Cidr]:
        """The provisioned CIDRs in address order."""
        v = self.version
        return [Cidr(v, s, self._prov[s]) for s in self._prov_starts]

    def allocations(self) -> list[Cidr]:
        """The allocated blocks in address order."""
        v = self.version
        return [Cidr(v, s, p) for s, p in sorted(self._alloc.items())]

    def free_blocks(self) -> list[Cidr]:
        """The free space as minimal aligned CIDRs, in address order."""
        v = self.version
        return [Cidr(v, s, p) for s, p in sorted(self._free.items())]

    def within(self, cidr: Cidr | str) -> list[Cidr]:
        """The allocated blocks inside ``cidr``, in address order (a scan)."""
        c = self._cidr(cidr)
        last = c.last
        v = self.version
        return [Cidr(v, s, p) for s, p in sorted(self._alloc.items()) if c.value <= s <= last]

    def is_allocated(self, cidr: Cidr | str) -> bool:
        c = self._cidr(cidr)
        return self._alloc.get(c.value) == c.prefixlen

    def provisioned_cidr_of(self, cidr: Cidr | str) -> Cidr | None:
        """The provisioned CIDR that wholly contains ``cidr``, if any."""
        c = self._cidr(cidr)
        width = self.width
        for q in range(c.prefixlen, -1, -1):
            start = c.value & ~((1 << (width - q)) - 1)
            if self._prov.get(start) == q:
                return Cidr(self.version, start, q)
        return None

    # -- provisioned CIDRs ---------------------------------------------------------
    def add_cidr(self, cidr: Cidr | str) -> Cidr:
        """Provision ``cidr``; it must not overlap a CIDR already provisioned."""
        c = self._cidr(cidr)
        other = self._overlapping_provisioned(c)
        if other is not None:
            raise DomainError("OperationDenied.CidrConflict", cidr=c, other=other,
                              other_pool=self.name)
        self._prov[c.value] = c.prefixlen
        insort(self._prov_starts, c.value)
        self.provisioned_ips += c.size
        self._add_free(c.value, c.prefixlen)
        return c

    def remove_cidr(self, cidr: Cidr | str) -> Cidr:
        """Deprovision ``cidr``; refused while any allocation lies in it."""
        c = self._cidr(cidr)
        if self._prov.get(c.value) != c.prefixlen:
            raise DomainError("ResourceNotFound.IpamPoolCidr", cidr=c, pool=self.name)
        if self._free.get(c.value) != c.prefixlen:
            raise DomainError("OperationDenied.IpamPoolAllocationExist", cidr=c, pool=self.name)
        self._del_free(c.value, c.prefixlen)
        del self._prov[c.value]
        self._prov_starts.remove(c.value)
        self.provisioned_ips -= c.size
        return c

    def _overlapping_provisioned(self, c: Cidr) -> Cidr | None:
        starts = self._prov_starts
        i = bisect_right(starts, c.value)
        width = self.width
        if i:  # the block starting at or before c
            s = starts[i - 1]
            if s + (1 << (width - self._prov[s])) > c.value:
                return Cidr(self.version, s, self._prov[s])
        if i < len(starts) and starts[i] <= c.last:
            return Cidr(self.version, starts[i], self._prov[starts[i]])
        return None

    # -- allocation ----------------------------------------------------------------
    def claim(self, cidr: Cidr | str) -> Cidr:
        """Allocate exactly ``cidr``: it must lie in one provisioned CIDR and be free."""
        c = self._cidr(cidr)
        found = self._free_block_containing(c.value, c.prefixlen)
        if found is None:
            if self.provisioned_cidr_of(c) is None:
                reason = "it does not lie wholly inside one provisioned CIDR"
            else:
                reason = "it overlaps an existing allocation"
            raise DomainError("OperationDenied.CidrUnavailableInPool", cidr=c,
                              pool=self.name, reason=reason)
        self._take(found[0], found[1], c.value, c.prefixlen)
        return c

    def allocate(self, mask: int, strategy: str = "first",
                 rng: random.Random | None = None) -> Cidr:
        """Allocate a free aligned ``/mask`` block chosen by ``strategy``."""
        mask = check_mask(mask, self.version)
        chosen = self._choose(mask, strategy, rng)
        if chosen is None:
            raise self.insufficient(mask)
        block_start, block_prefix, start = chosen
        self._take(block_start, block_prefix, start, mask)
        return Cidr(self.version, start, mask)

    def preview(self, mask: int, strategy: str = "first",
                rng: random.Random | None = None) -> Cidr | None:
        """The block :meth:`allocate` would give now, changing nothing.

        For ``random`` the draw is made on a copy of the generator, so the
        allocation that follows with the same generator gives this block.
        """
        mask = check_mask(mask, self.version)
        if strategy == "random":
            source = rng or self.rng or random.Random(0)
            rng = random.Random()
            rng.setstate(source.getstate())
        chosen = self._choose(mask, strategy, rng)
        return None if chosen is None else Cidr(self.version, chosen[2], mask)

    def release(self, cidr: Cidr | str) -> None:
        """Free an allocated block; releasing anything else is an error."""
        c = self._cidr(cidr)
        start, prefix = c.value, c.prefixlen
        if self._alloc.get(start) != prefix:
            raise DomainError("ResourceNotFound.IpamPoolAllocation",
                              allocation=f"{c} in pool {self.name}")
        del self._alloc[start]
        self.allocated_ips -= 1 << (self.width - prefix)
        # merge with free buddies, never past the provisioned CIDR
        width, free, prov = self.width, self._free, self._prov
        while prov.get(start) != prefix:
            buddy = start ^ (1 << (width - prefix))
            if free.get(buddy) != prefix:
                break
            self._del_free(buddy, prefix)
            start &= ~(1 << (width - prefix))
            prefix -= 1
        self._add_free(start, prefix)

    # -- internals -----------------------------------------------------------------
    def _cidr(self, cidr: Cidr | str) -> Cidr:
        c = parse_cidr(cidr)
        if c.version != self.version:
            raise DomainError("Mismatch.IpVersionAndIpamPoolIpVersion", cidr=c,
                              version=c.version, pool=self.name, pool_version=self.version)
        return c

    def insufficient(self, mask: int) -> DomainError:
        """The ``AvailableCidrInsufficient`` error for ``/mask``, with the free space
        diagnosis (free IPs, largest free block, whether fragmentation is the cause)."""
        free = self.free_ips
        largest = self.largest_free_mask
        text = (f"pool {self.name} has no free /{mask} block "
                f"(free: {free} of {self.provisioned_ips} IPs")
        fragmented = largest is not None and free >= 1 << (self.width - mask)
        if largest is not None:
            text += f", largest free block /{largest}"
        text += ")"
        if fragmented:
            text += (f"; fragmentation is the cause: {free} free addresses would hold a "
                     f"/{mask} but no aligned /{mask} block is free")
        return DomainError("OperationDenied.AvailableCidrInsufficient", text, pool=self.name,
                           mask=mask, free_ips=free, largest_free_mask=largest,
                           fragmented=fragmented)

    def _free_block_containing(self, start: int, prefix: int) -> tuple[int, int] | None:
        free, width = self._free, self.width
        for q in range(prefix, -1, -1):
            s = start & ~((1 << (width - q)) - 1)
            if free.get(s) == q:
                return s, q
        return None

    def _peek_min(self, prefix: int) -> int:
        heap, free = self._heaps[prefix], self._free
        while free.get(heap[0]) != prefix:
            heapq.heappop(heap)
        return heap[0]

    def _peek_max(self, prefix: int) -> int:
        if self._maxheaps is None:
            self._maxheaps = [[-s for s, p in self._free.items() if p == q]
                              for q in range(self.width + 1)]
            for h in self._maxheaps:
                heapq.heapify(h)
        heap, free = self._maxheaps[prefix], self._free
        while free.get(-heap[0]) != prefix:
            heapq.heappop(heap)
        return -heap[0]

    def _choose(self, mask: int, strategy: str,
                rng: random.Random | None) -> tuple[int, int, int] | None:
        """(start, prefix) of the free block to split and the start of the result."""
        nfree = self._nfree
        width = self.width
        if strategy == "first":
            best = None
            for p in range(mask + 1):
                if nfree[p]:
                    s = self._peek_min(p)
                    if best is None or s < best[0]:
                        best = (s, p)
            return None if best is None else (best[0], best[1], best[0])
        if strategy == "best":
            for p in range(mask, -1, -1):
                if nfree[p]:
                    s = self._peek_min(p)
                    return s, p, s
            return None
        if strategy == "last":
            best = None
            for p in range(mask + 1):
                if nfree[p]:
                    s = self._peek_max(p)
                    if best is None or s > best[0]:
                        best = (s, p)
            if best is None:
                return None
            s, p = best
            return s, p, s + (1 << (width - p)) - (1 << (width - mask))
        if strategy == "random":
            total = 0
            for p in range(mask + 1):
                total += nfree[p] << (mask - p)
            if not total:
                return None
            rng = rng or self.rng
            if rng is None:
                raise UsageError("the random strategy needs a random.Random generator")
            lists = self._random_index()
            r = rng.randrange(total)
            for p in range(mask + 1):
                weight = nfree[p] << (mask - p)
                if r < weight:
                    s = lists[p][r >> (mask - p)]
                    offset = r & ((1 << (mask - p)) - 1)
                    return s, p, s + (offset << (width - mask))
                r -= weight
        raise UsageError(f"unknown allocation strategy {strategy!r}; "
                         f"choose one of {', '.join(STRATEGIES)}")

    def _random_index(self) -> list[list[int]]:
        if self._rand_lists is None:
            lists: list[list[int]] = [[] for _ in range(self.width + 1)]
            for s, p in sorted(self._free.items()):
                lists[p].append(s)
            self._rand_lists = lists
            self._rand_pos = [{s: i for i, s in enumerate(lst)} for lst in lists]
        return self._rand_lists

    def _take(self, block: int, block_prefix: int, start: int, mask: int) -> None:
        """Split free block (block, block_prefix) down to (start, mask) and allocate it."""
        self._del_free(block, block_prefix)
        width = self.width
        for q in range(block_prefix + 1, mask + 1):
            half = 1 << (width - q)
            if start & half:          # the result is in the upper half: the lower is free
                self._add_free(block, q)
                block += half
            else:
                self._add_free(block + half, q)
        self._alloc[start] = mask
        self.allocated_ips += 1 << (width - mask)

    def _add_free(self, start: int, prefix: int) -> None:
        self._free[start] = prefix
        self._nfree[prefix] += 1
        heap = self._heaps[prefix]
        heapq.heappush(heap, start)
        if len(heap) > 64 and len(heap) > 4 * self._nfree[prefix]:
            self._heaps[prefix] = self._compact(heap, prefix, 1)
        if self._maxheaps is not None:
            heap = self._maxheaps[prefix]
            heapq.heappush(heap, -start)
            if len(heap) > 64 and len(heap) > 4 * self._nfree[prefix]:
                self._maxheaps[prefix] = self._compact(heap, prefix, -1)
        if self._rand_lists is not None:
            lst = self._rand_lists[prefix]
            self._rand_pos[prefix][start] = len(lst)
            lst.append(start)

    def _compact(self, heap: list[int], prefix: int, sign: int) -> list[int]:
        free = self._free
        live = [x for x in set(heap) if free.get(sign * x) == prefix]
        heapq.heapify(live)
        return live

    def _del_free(self, start: int, prefix: int) -> None:
        del self._free[start]
        self._nfree[prefix] -= 1
        if self._rand_lists is not None:
            lst, pos = self._rand_lists[prefix], self._rand_pos[prefix]
            i = pos.pop(start)
            last = lst.pop()
            if last != start:
                lst[i] = last
                pos[last] = i

    # -- copies and comparison -----------------------------------------------------
    def copy(self) -> AddressSpace:
        """An independent copy (same generator object)."""
        new = AddressSpace(self.version, name=self.name, rng=self.rng)
        new.provisioned_ips = self.provisioned_ips
        new.allocated_ips = self.allocated_ips
        new._prov = dict(self._prov)
        new._prov_starts = list(self._prov_starts)
        new._free = dict(self._free)
        new._alloc = dict(self._alloc)
        new._nfree = list(self._nfree)
        new._heaps = [list(h) for h in self._heaps]
        if self._maxheaps is not None:
            new._maxheaps = [list(h) for h in self._maxheaps]
        if self._rand_lists is not None:
            new._rand_lists = [list(h) for h in self._rand_lists]
            new._rand_pos = [dict(d) for d in self._rand_pos]
        return new

    def fingerprint(self) -> tuple:
        """A value equal for two spaces exactly when they hold the same blocks."""
        return (self.version, tuple(sorted(self._prov.items())),
                tuple(sorted(self._alloc.items())), tuple(sorted(self._free.items())))

    def __iter__(self) -> Iterator[Cidr]:
        return iter(self.allocations())

    # -- saved state ---------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        """The space as plain data (see :mod:`simkit.values.state`).

        It holds the version, the provisioned CIDRs and the allocated blocks in
        address order and, once the ``random`` strategy has indexed the free
        blocks, that index's order, on which its draws depend: per prefix
        length that has free blocks, ``[prefix, [start, ...]]`` with each start
        as an integer.  The free blocks and the heaps are rebuilt from those.

        Examples
        --------
        >>> space = AddressSpace(name="docs")
        >>> _ = space.add_cidr("198.51.100.0/24")
        >>> _ = space.claim("198.51.100.64/26")
        >>> space.to_state()  # doctest: +NORMALIZE_WHITESPACE
        {'version': 4, 'provisioned': ['198.51.100.0/24'], 'allocated': ['198.51.100.64/26'],
         'random_order': None}
        >>> AddressSpace.from_state(space.to_state()).fingerprint() == space.fingerprint()
        True
        """
        order = self._rand_lists
        return {
            "version": self.version,
            "provisioned": [str(c) for c in self.provisioned()],
            "allocated": [str(c) for c in self.allocations()],
            "random_order": None if order is None else [
                [prefix, list(starts)] for prefix, starts in enumerate(order) if starts],
        }

    @classmethod
    def from_state(cls, state: Any, *, name: str = "pool",
                   rng: random.Random | None = None) -> AddressSpace:
        """The space :meth:`to_state` wrote; ``name`` and ``rng`` as for the constructor.

        ``state`` is the plain data or a :class:`~simkit.values.state.Reader` of it.
        Each CIDR is provisioned and each block claimed as the methods would, so
        overlapping CIDRs, a block outside them or two blocks that overlap are
        refused with :class:`~simkit.values.errors.StateError`, as is an index
        order that is not one of the free blocks.
        """
        at = Reader.of(state, "space")
        version = at["version"].int()
        if version not in WIDTH:
            raise at["version"].fail("4 or 6")
        space = cls(version, name=name, rng=rng)
        for item in at["provisioned"].items():
            _replay(item, space.add_cidr)
        for item in at["allocated"].items():
            _replay(item, space.claim)
        order = at["random_order"]
        if order.value is not None:
            lists: list[list[int]] = [[] for _ in range(space.width + 1)]
            for item in order.items():
                prefix, starts = item.pair()
                if not 0 <= prefix.int() <= space.width or lists[prefix.value]:
                    raise prefix.fail(f"a prefix length of 0 to {space.width}, listed once")
                lists[prefix.value] = [s.int() for s in starts.items()]
            if sorted((s, p) for p, starts in enumerate(lists) for s in starts) != sorted(
                    space._free.items()):
                raise order.fail("an ordering of the free blocks of the space")
            space._rand_lists = lists
            space._rand_pos = [{s: i for i, s in enumerate(starts)} for starts in lists]
        at.done()
        return space


def _replay(item: Reader, apply: Callable[[Cidr], Cidr]) -> None:
    """Apply a saved CIDR to a space being rebuilt; the space's refusal is the state's."""
    cidr = item.cidr()
    try:
        apply(cidr)
    except DomainError as err:
        raise item.error(str(err)) from None
