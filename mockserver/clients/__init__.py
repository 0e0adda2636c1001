"""Reference clients, one per vendor: async (aiohttp), written against the vendors' documents.

They are what a user's own integration would look like, and the tests drive the mock through
them over real HTTP, so a difference between the mock and the document shows up as a failure.
"""
