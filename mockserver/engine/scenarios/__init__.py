"""The scenario engine, in four parts:

* :mod:`.model`: compiled rules, what they match (:class:`Facts`) and answer (:class:`Response`),
  and what the engine hands back (:class:`Decision`, :class:`Answer`, :class:`Fault`);
* :mod:`.validation`: a scenario document checked as a whole, against the schema and the
  mounted vendors, before any of it is used;
* :mod:`.generated`: the rules ``magic_recipients`` and ``error_header`` expand into;
* :mod:`.engine`: :class:`ScenarioEngine`, asked at the three moments (request, delivery,
  delivery report).

The names below are the package's public surface; import them from here.
"""

from __future__ import annotations

from mockserver.engine.scenarios.engine import ScenarioEngine
from mockserver.engine.scenarios.generated import (
    MAGIC_CONCERNS,
    MAGIC_DELIVERY,
    MAGIC_ERROR_BASE,
    MagicNumber,
    magic_markdown,
    magic_numbers,
    send_operations,
)
from mockserver.engine.scenarios.model import (
    ACTIONS,
    ERROR_KINDS,
    FAULT_KINDS,
    REQUEST_ACTIONS,
    Answer,
    CallbackPlan,
    Decision,
    Delay,
    DeliveryPlan,
    Facts,
    Fault,
    Response,
    Rule,
    ScenarioError,
    SlowBody,
    phone_key,
    resolve_error,
)
from mockserver.engine.scenarios.validation import SCHEMA_PATH, check, looks_like_scenario, validate

__all__ = [
    "ACTIONS",
    "ERROR_KINDS",
    "FAULT_KINDS",
    "MAGIC_CONCERNS",
    "MAGIC_DELIVERY",
    "MAGIC_ERROR_BASE",
    "REQUEST_ACTIONS",
    "SCHEMA_PATH",
    "Answer",
    "CallbackPlan",
    "Decision",
    "Delay",
    "DeliveryPlan",
    "Facts",
    "Fault",
    "MagicNumber",
    "Response",
    "Rule",
    "ScenarioEngine",
    "ScenarioError",
    "SlowBody",
    "check",
    "looks_like_scenario",
    "magic_markdown",
    "magic_numbers",
    "phone_key",
    "resolve_error",
    "send_operations",
    "validate",
]
