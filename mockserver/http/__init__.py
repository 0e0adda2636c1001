"""HTTP plumbing: the vendor interface (:mod:`.vendor`), JSON answers, network faults and the
routing that serves every vendor under its prefix and at its real host names.

It builds on :mod:`mockserver.engine` and :mod:`mockserver.core`; vendors build on it.
"""
