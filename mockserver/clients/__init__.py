"""Reference async clients of the vendors' APIs (aiohttp), one module per vendor."""
