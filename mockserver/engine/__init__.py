"""The engine: what happens to a request and a message, without HTTP.

The scenario engine decides errors, faults and delays; the delivery lifecycle moves messages on
the clock; the dispatcher sends delivery reports; :class:`.services.Services` bundles them for
one server. It imports only :mod:`mockserver.core`.
"""
