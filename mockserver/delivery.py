"""The delivery lifecycle: accepted -> sent -> a final state, on the shared clock.

Every accepted message is tracked here. Its outcome (delivered by default) and timings come
from the config's ``delivery`` section unless a scenario ``delivery`` rule says otherwise; each
transition is stamped on the message's timeline and handed to its vendor (``Vendor.on_status``),
which updates its own view and fires the delivery report through the callback dispatcher.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .store import DELIVERED, FINAL_STATES, PENDING, SCHEDULED, SENT, Message

if TYPE_CHECKING:
    from .clock import Clock
    from .scenarios import ScenarioEngine
    from .store import Store


@dataclass(frozen=True, slots=True)
class DeliveryTimings:
    sent_after: float = 0.2
    final_after: float = 1.0


class Delivery:
    def __init__(self, clock: Clock, store: Store, scenarios: ScenarioEngine, timings: DeliveryTimings) -> None:
        self.clock = clock
        self.store = store
        self.scenarios = scenarios
        self.timings = timings
        self.listeners: dict[str, Callable[[Message], None]] = {}

    def track(self, message: Message, *, start_at: float | None = None) -> None:
        """Schedule ``message``'s way to its final state.

        ``start_at`` is a scheduled send time (ThaiBulkSMS ``scheduled_delivery``, FPT campaigns):
        the message waits in ``scheduled`` until then.
        """
        plan = self.scenarios.delivery_for(message)
        final = plan.status if plan is not None else DELIVERED
        final_after = plan.after if plan is not None and plan.after is not None else self.timings.final_after
        if plan is not None and plan.code is not None:
            message.final["code"] = str(plan.code)
        begin = message.created_at
        if start_at is not None and start_at > begin:
            self._move(message, SCHEDULED)
            begin = start_at
        sent_after = min(self.timings.sent_after, final_after)
        self.clock.call_at(begin + sent_after, lambda: self._move(message, SENT))
        if final != PENDING:
            self.clock.call_at(begin + final_after, lambda: self._move(message, final))
        else:
            message.final["pending"] = True

    def finish_now(self, message: Message, status: str, code: str | None = None) -> None:
        """Move ``message`` to ``status`` at once (``POST /_mock/messages/{id}/deliver``)."""
        if code is not None:
            message.final["code"] = code
        if status in FINAL_STATES and message.status not in (SENT,) and message.status not in FINAL_STATES:
            self._move(message, SENT)
        self._move(message, status, force=True)

    def cancel(self, message: Message, status: str) -> None:
        """A cancelled message (FPT cancel-ads) stops here; later timers leave it alone."""
        self._move(message, status, force=True)

    def _move(self, message: Message, status: str, *, force: bool = False) -> None:
        if message.status in FINAL_STATES and not force:
            return  # finished by hand or cancelled: the scheduled steps no longer apply
        if message.status == status:
            return
        self.store.set_status(message, status, self.clock.now())
        listener = self.listeners.get(message.vendor)
        if listener is not None:
            listener(message)
