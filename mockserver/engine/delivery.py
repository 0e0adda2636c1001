"""The delivery lifecycle: accepted -> (scheduled) -> sent -> a final state, on the shared clock.

Every accepted message is tracked here. Its outcome (delivered by default) and timings come
from the config's ``delivery`` section unless a scenario ``delivery`` rule says otherwise; each
transition is stamped on the message's timeline (at the clock instant it was due, so an
advanced clock still shows realistic timestamps) and handed to its vendor
(``Vendor.on_status``), which updates its own view and fires the delivery report through the
callback dispatcher.

Rules of the road (decisions the issue leaves open):

* ``sent`` comes ``sent_after`` after the start, the final state ``final_after`` after it; a
  rule's ``after`` shorter than ``sent_after`` pulls ``sent`` forward with it.
* A scheduled send (``track(start_at=...)``) waits in ``scheduled`` and counts its timings from
  ``start_at``; a ``start_at`` in the past starts at once.
* A ``pending`` outcome goes to ``sent`` and stays there (``final.pending`` is true) until
  someone finishes it by hand.
* Finishing by hand (``POST /_mock/messages/{id}/deliver``) always stamps the state and always
  reports it, even when the message is already in that state: it is how a test fires a report
  (again) on purpose. Steps still scheduled for that message are then ignored.
* A cancelled message (FPT cancel-ads) stops where it is put; its scheduled steps are ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockserver.core.store import (
    ACCEPTED,
    DELIVERED,
    EXPIRED,
    FAILED,
    FINAL_STATES,
    PENDING,
    REJECTED,
    SCHEDULED,
    SENT,
    Message,
)

if TYPE_CHECKING:
    from mockserver.core.clock import Clock
    from mockserver.core.store import Store
    from mockserver.engine.scenarios import ScenarioEngine

log = logging.getLogger("mockserver.delivery")

# What POST /_mock/messages/{id}/deliver accepts.
# What a person may force a message to (POST /_mock/messages/{id}/deliver): the vendor-neutral
# outcomes every vendor reports. A vendor-specific state such as FPT's "cancelled" only comes
# from that vendor's own API.
MANUAL_STATES = frozenset({DELIVERED, FAILED, EXPIRED, REJECTED, SENT, PENDING})


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
        # Per vendor: whether it acts on a message's steps (``Vendor.reports_on``); a message
        # nothing acts on is planned, not scheduled (see :meth:`track`).
        self.acts_on: dict[str, Callable[[Message], bool]] = {}
        store.on_listen = self.settle_all
        self._sent, self._delivered, self._finished = self._sent_step, self._delivered_step, self._finished_step
        # Told each message's scheduled steps, ``(when, status)`` pairs, when set: the clock's
        # timers are closures on this process, so a saved world keeps the plan to resume it
        # (:meth:`resume`). None, the default, costs one test per accepted message.
        self.planned: Callable[[Message, tuple[tuple[float, str], ...]], None] | None = None

    def track(self, message: Message, *, start_at: float | None = None) -> None:
        """Plan ``message``'s way to its final state.

        ``start_at`` is a scheduled send time (ThaiBulkSMS ``scheduled_delivery``, FPT campaigns):
        the message waits in ``scheduled`` until then.

        A message whose steps nobody acts on (:meth:`quiet`) is only *planned*
        (:meth:`Message.plan`): its state is read off the clock, nothing goes on the clock's heap
        and nothing runs when the steps are due. Every other message's steps are scheduled.
        """
        plan = self.scenarios.delivery_for(message)
        final = plan.status if plan is not None else DELIVERED
        final_after = plan.after if plan is not None and plan.after is not None else self.timings.final_after
        if plan is not None and plan.code is not None:
            message.final["code"] = str(plan.code)
        begin = message.created_at
        scheduled = start_at is not None and start_at > begin
        if scheduled:
            assert start_at is not None
            self._move(message, SCHEDULED)
            begin = start_at
            message.fields.setdefault("scheduled_at", start_at)
        sent_after = min(self.timings.sent_after, final_after)
        if final == PENDING:
            message.final["pending"] = True
        if not scheduled and self.quiet(message):
            message.plan(self.clock, sent_after, None if final == PENDING else final_after, final)
            return
        sent_at = begin + sent_after
        final_at = None if final == PENDING else begin + final_after
        steps = ((sent_at, SENT),) if final_at is None else ((sent_at, SENT), (final_at, final))
        self._schedule(message, steps)
        if self.planned is not None:
            self.planned(message, steps)

    def quiet(self, message: Message) -> bool:
        """Whether nothing acts on ``message``'s steps as they come: its vendor sends no report
        about it (:attr:`acts_on`), nobody listens to the journal's changes (the web inbox, a
        data dir) and no saved world wants its plan. A vendor that has not said acts on all."""
        acts_on = self.acts_on.get(message.vendor)
        return acts_on is not None and not acts_on(message) and not self.store.listeners and self.planned is None

    def settle_all(self) -> int:
        """Schedule the steps still to come of every planned message in the journal (someone
        started listening to its changes: they must hear them); returns how many there were."""
        settled = 0
        for message in self.store.messages.values():
            if message.planned:
                self._settle(message)
                settled += 1
        return settled

    def _settle(self, message: Message) -> None:
        steps = message.settle()
        if steps:
            self._schedule(message, steps)

    def _schedule(self, message: Message, steps: tuple[tuple[float, str], ...]) -> None:
        schedule = self.clock.schedule
        for when, status in steps:
            if status == SENT:
                schedule(when, self._sent, message)
            elif status == DELIVERED:
                schedule(when, self._delivered, message)
            else:  # the other final states take (message, status)
                schedule(when, self._finished, (message, status))

    def resume(self, message: Message, steps: tuple[tuple[float, str], ...]) -> None:
        """Schedule again the steps :attr:`planned` was told (a restored world): steps already
        taken are ignored when they come, as on a live server; steps overdue fire at once, in
        order, stamped at their own instants."""
        self._schedule(message, steps)

    def finish_now(self, message: Message, status: str, code: str | None = None) -> None:
        """Move ``message`` to ``status`` at once (``POST /_mock/messages/{id}/deliver``).

        A final status passes through ``sent`` first when the message was not sent yet, and is
        reported even if the message already had it. ``pending`` holds the message where it is
        (its scheduled final step is ignored) until it is finished by hand.
        """
        if status not in MANUAL_STATES:
            raise ValueError(f"status must be one of {sorted(MANUAL_STATES)}")
        self._settle(message)
        if code is not None:
            message.final["code"] = code
        if status == PENDING:
            message.final["pending"] = True
            return
        message.final.pop("pending", None)
        message.final["manual"] = True
        if status in FINAL_STATES and message.status in (ACCEPTED, SCHEDULED):
            self._move(message, SENT, force=True)
        self._move(message, status, force=True, again=True)

    def cancel(self, message: Message, status: str) -> None:
        """A cancelled message (FPT cancel-ads) stops here; later timers leave it alone."""
        self._settle(message)
        message.final["cancelled"] = True
        self._move(message, status, force=True)

    # The scheduled steps (``Clock.schedule`` targets: one argument each; bound once in
    # ``__init__`` so that the heap entries share them).
    def _sent_step(self, message: Message) -> None:
        self._move(message, SENT)

    def _delivered_step(self, message: Message) -> None:
        self._move(message, DELIVERED)

    def _finished_step(self, step: tuple[Message, str]) -> None:
        self._move(*step)

    def _move(self, message: Message, status: str, *, force: bool = False, again: bool = False) -> None:
        if not force:
            final = message.final
            if message.status in FINAL_STATES or final.get("cancelled") or final.get("manual"):
                return  # finished by hand or cancelled: the scheduled steps no longer apply
            if status in FINAL_STATES and final.get("pending"):
                return  # held in flight until finished by hand
        if message.status == status and not again:
            return
        self.store.set_status(message, status, self.clock.now())
        listener = self.listeners.get(message.vendor)
        if listener is not None:
            try:
                listener(message)
            except Exception:  # a vendor's report bug must not stop the other messages' lifecycles
                log.exception("%s: on_status failed for message %s (%s)", message.vendor, message.id, status)
