"""The core services one server shares between its vendors, built once per application.

Generic in the vendor type: the engine only needs :class:`~mockserver.engine.interfaces.EngineVendor`,
while the HTTP layer above keeps its own vendor class (``Services[Vendor]``) without the engine
naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from sys import intern
from typing import Any, Generic, TypeVar

from mockserver.core.clock import Clock
from mockserver.core.config import Config
from mockserver.core.randomness import Randomness
from mockserver.core.store import Message, RequestRecord, Store
from mockserver.core.textparts import count_parts
from mockserver.engine.callbacks import CallbackSettings, Dispatcher
from mockserver.engine.delivery import Delivery, DeliveryTimings
from mockserver.engine.interfaces import EngineVendor
from mockserver.engine.scenarios import ScenarioEngine

V = TypeVar("V", bound=EngineVendor)


@dataclass
class Services(Generic[V]):
    config: Config
    clock: Clock
    rng: Randomness
    store: Store
    scenarios: ScenarioEngine
    callbacks: Dispatcher
    delivery: Delivery
    vendors: dict[str, V] = field(default_factory=dict)
    contracts: Any = None  # strict.StrictChecker when strict mode is on anywhere, else None

    @classmethod
    def build(
        cls, config: Config, *, seed: int | None, frozen_clock: bool, journal_size: int | None = None
    ) -> Services[V]:
        """``journal_size`` overrides the config's cap (a namespace keeps a smaller journal)."""
        clock = Clock(frozen=frozen_clock)
        rng = Randomness(seed)
        store = Store(journal_size or config.journal_size)
        scenarios = ScenarioEngine(rng, clock)
        cb = config.section("callbacks")
        allowed = cb.get("allowed_hosts")
        settings = CallbackSettings(
            **{k: v for k, v in cb.items() if k != "allowed_hosts"},
            allowed_hosts=tuple(h.lower().rstrip(".") for h in allowed) if allowed is not None else None,
        )
        dispatcher = Dispatcher(store, clock, rng, settings, scenarios)
        d = config.section("delivery")
        delivery = Delivery(clock, store, scenarios, DeliveryTimings(**d))
        services = cls(config, clock, rng, store, scenarios, dispatcher, delivery)
        scenarios.vendors = services.vendors  # filled by create_app; magic numbers and checks use it
        return services

    def accept_message(
        self,
        *,
        id: str,
        vendor: str,
        operation: str,
        account: str,
        recipient: str,
        text: str,
        sender: str | None,
        fields: dict[str, Any] | None = None,
        request: RequestRecord | None = None,
        start_at: float | None = None,
        encoding: str | None = None,
        parts: int | None = None,
        credits: float | None = None,
        callback_url: str | None = None,
        callback_method: str | None = None,
    ) -> Message:
        """Journal one accepted message and start its delivery lifecycle: the step every vendor
        shares. ``encoding``/``parts`` default to the text's SMS parts, ``credits`` to the parts;
        the rest are the :class:`Message`'s fields. ``start_at`` is a scheduled send time.
        Reports to ``callback_url`` go by POST unless the vendor says ``callback_method``.
        Named parameters, not ``**values``: this runs for every message a load test sends."""
        if encoding is None or parts is None:
            info = count_parts(text)
            encoding, parts = encoding or info.encoding, parts or info.parts
        # A journal of 100,000 messages names a handful of accounts and senders: one string each.
        message = Message(
            id,
            vendor,
            operation,
            intern(account) if type(account) is str else account,
            recipient,
            text,
            intern(sender) if type(sender) is str else sender,
            encoding,
            parts,
            parts if credits is None else credits,
            self.clock.now(),
            callback_url=callback_url,
            callback_method=(callback_method or "POST") if callback_url else None,
            fields=fields,
            request=request,
        )
        self.store.add_message(message)
        self.delivery.track(message, start_at=start_at)
        return message

    def reset(self) -> None:
        """Back to the start-up state: journals emptied, balances and OTPs as configured,
        the start-up scenario, the random sequence restarted, the clock as at start-up (its
        timers dropped; real time again, or frozen at the start-up instant)."""
        self.clock.reset()
        self.callbacks.reset()
        self.store.clear()
        self.rng.reset()
        self.scenarios.reset()
        for vendor in self.vendors.values():
            vendor.reset()
        if self.contracts is not None:
            self.contracts.clear()
