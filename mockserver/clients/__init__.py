"""Reference async clients (aiohttp), one module per vendor, written against each vendor's own
document: point their ``base_url`` at the mock (or the real host) and they work unchanged."""
