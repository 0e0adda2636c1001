"""The package version, in a module of its own: the layers below the entry points (contracts,
inspection) report it without importing ``mockserver`` itself, whose lazy ``create_app`` and
``MockServer`` would make them depend on the layer above them."""

__version__ = "0.1.0"
