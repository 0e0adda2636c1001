"""``/_mock/scenario``: read and change the active scenario while the server runs.

==========================================  ====================================================
``GET /_mock/scenario``                     the active rules, in order, with hit/match counts
``PUT /_mock/scenario``                     replace them: ``{"name": "outage"}`` (a shipped
                                            file), ``{"yaml": "..."}``, or a YAML/JSON scenario
                                            as the body; checked first, a bad one is a 400 with
                                            the problems and the old rules stay
``POST /_mock/scenario/rules``              add one rule (JSON or YAML body); 201 with its id.
                                            It goes before the loaded rules (after rules added
                                            earlier); ``?position=last`` appends it instead
``DELETE /_mock/scenario/rules/{id}``       remove one rule
``POST /_mock/reset``                       (admin) back to the start-up scenario
==========================================  ====================================================

Changes swap the rule list and its per-(vendor, operation) index in one step, so the next
request sees them and requests in flight finish with the rules they started with.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from mockserver.core.scenario_files import find_scenario, list_scenarios
from mockserver.engine.scenarios import ScenarioEngine, ScenarioError
from mockserver.http.vendor import json_response

JSON_TYPES = ("application/json",)


def _bad(problems: list[str], message: str = "invalid scenario") -> web.Response:
    return json_response({"error": message, "problems": problems}, status=400)


def _state(engine: ScenarioEngine) -> dict[str, Any]:
    return {"sources": engine.sources, "rules": engine.describe(), "count": len(engine.rules)}


async def _body(request: web.Request) -> tuple[Any, str]:
    """The body as JSON data (for a JSON content type) or as text, and its kind."""
    raw = await request.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise web.HTTPBadRequest(text='{"error": "body is not UTF-8"}', content_type="application/json") from None
    if request.content_type in JSON_TYPES:
        try:
            return json.loads(text), "json"
        except (ValueError, RecursionError):
            raise web.HTTPBadRequest(
                text='{"error": "body is not valid JSON"}', content_type="application/json"
            ) from None
    return text, "text"


def register(app: web.Application, engine: ScenarioEngine) -> None:
    """Add the scenario routes to the ``/_mock`` application."""
    routes = web.RouteTableDef()

    @routes.get("/scenario")
    async def show(_: web.Request) -> web.Response:
        return json_response(_state(engine))

    @routes.get("/scenario/files")
    async def files(_: web.Request) -> web.Response:
        return json_response({"files": [p.stem for p in list_scenarios()]})

    @routes.put("/scenario")
    async def replace(request: web.Request) -> web.Response:
        data, kind = await _body(request)
        try:
            if kind == "json" and isinstance(data, dict) and "name" in data and "rules" not in data:
                path = find_scenario(str(data["name"]))
                if path is None:
                    names = ", ".join(p.stem for p in list_scenarios())
                    return _bad([f"no shipped scenario {data['name']!r} (known: {names})"], "unknown scenario")
                specs, sources = engine.read(path), [path.name]
            elif kind == "json" and isinstance(data, dict) and "yaml" in data:
                specs, sources = engine.read_text(str(data["yaml"]), "<inline>"), ["<inline>"]
            elif kind == "json":
                specs, sources = (
                    engine.read_text(json.dumps(data, ensure_ascii=False, indent=1), "<inline>"),
                    ["<inline>"],
                )
            else:
                specs, sources = engine.read_text(data, "<inline>"), ["<inline>"]
        except ScenarioError as exc:
            return _bad(exc.problems)
        engine.install(specs, sources)
        return json_response(_state(engine))

    @routes.post("/scenario/rules")
    async def add(request: web.Request) -> web.Response:
        data, kind = await _body(request)
        position = request.query.get("position", "first")
        if position not in ("first", "last"):
            return _bad(["position is first or last"], "bad position")
        try:
            if kind == "text":
                from mockserver.core.yamlfile import YamlSyntaxError, loads

                try:
                    data = loads(data, "<rule>").data
                except YamlSyntaxError as exc:
                    raise ScenarioError([str(exc)]) from None
            spec = engine.check_rule(data)
        except ScenarioError as exc:
            return _bad(exc.problems, "invalid rule")
        rule = engine.add(spec, "runtime", first=position == "first")
        return json_response({"id": rule.id, "rule": rule.to_dict()}, status=201)

    @routes.delete("/scenario/rules/{id}")
    async def remove(request: web.Request) -> web.Response:
        rule_id = request.match_info["id"]
        if not engine.remove(rule_id):
            return json_response({"error": f"no rule {rule_id}"}, status=404)
        return json_response({"deleted": rule_id, "count": len(engine.rules)})

    app.add_routes(routes)
