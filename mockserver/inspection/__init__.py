"""Inspection: the ``/_mock/`` API, the scenario and contract endpoints and the web inbox.

It reads the state the lower layers keep and never takes part in answering a vendor request.
"""
