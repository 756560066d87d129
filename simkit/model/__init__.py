"""Layer 2, the cloud model: the organisation, IPAM objects, VPCs, resource shares,
the permission matrix, and resource discovery.

It applies the cloud's rules to one request at a time; it knows nothing of scenario files.
"""
