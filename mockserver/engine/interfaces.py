"""What the engine needs of a vendor, as Protocols: the engine sits below the HTTP layer and the
vendors, so it names no class of theirs (not even for type checking) and any object with these
members will do. :class:`mockserver.http.vendor.Vendor` satisfies them.

The members are read-only properties so that a vendor's class attributes (``name``,
``errors``...) and a frozen dataclass's fields (``Operation.name``) both fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from aiohttp import web

    from mockserver.core.errors import ErrorRow, ErrorTable
    from mockserver.core.store import Message


class OperationInfo(Protocol):
    """One vendor operation, as scenarios name it."""

    @property
    def name(self) -> str: ...

    @property
    def sends(self) -> bool:
        """Whether the operation sends messages (magic error recipients apply to it)."""
        ...


class MountInfo(Protocol):
    @property
    def operations(self) -> Sequence[OperationInfo]: ...


class EngineVendor(Protocol):
    """A mounted vendor, as the scenario engine and the shared services see it."""

    @property
    def name(self) -> str: ...

    @property
    def errors(self) -> ErrorTable: ...

    @property
    def generic_errors(self) -> Mapping[str, str]: ...

    def mounts(self) -> Sequence[MountInfo]: ...

    def sample_recipient(self, n: int) -> str: ...

    def reset(self) -> None: ...

    def state(self) -> Any:
        """The vendor's run-time state as JSON-able data (a saved world)."""
        ...

    def restore(self, state: Any) -> None: ...

    def on_status(self, message: Message) -> None: ...


class ErrorRenderer(Protocol):
    """Renders an error row in the shape of the request being answered. The engine asks for it
    when a rule answers with a row the vendor's own table does not hold (a fallback such as
    ``@rate_limited`` for a vendor without a 429 row), which the vendor's error path cannot name."""

    def render_row(self, row: ErrorRow, detail: str) -> web.StreamResponse: ...


def operation_names(vendor: EngineVendor) -> tuple[str, ...]:
    """Every operation name of ``vendor``, over all its mounts."""
    return tuple(op.name for mount in vendor.mounts() for op in mount.operations)
