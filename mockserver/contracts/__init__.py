"""Contract tooling: each operation's JSON Schemas (:mod:`.schemas`), strict mode, drift checks
against recorded traffic and the OpenAPI export. Built on the vendor interface in
:mod:`mockserver.http`.
"""
