"""Reference async clients (aiohttp), one module per vendor, written against the vendor's document.

They talk to the real vendor or to the mock alike: only the base URL differs. The tests use them
against a real mock server, which checks both at once.
"""
