"""Layer 1, values: error codes, quotas, the clock, CIDRs and the address-space allocator.

Nothing here knows about accounts, pools or scenarios; every other layer builds on it.
"""
