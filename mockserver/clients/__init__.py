"""Reference async clients, one module per vendor, written against the vendors' documents."""
