"""A real MCP client from the official Python SDK (`mcp`), driven by Latchkey's end-to-end tests.

    target/mcp-venv/bin/python client.py '<scenario JSON>'

The scenario: {"url", "token", "user"?, "version": "auto" | "legacy" | "<modern pin>",
"elicitation": bool, "steps": [{"op": "list"} | {"op": "call", "tool", "args"} | {"op": "pause"}]}.
"auto" probes `server/discover` and falls back to `initialize`; "legacy" forces the
2025-11-25 handshake.

Every observation is one JSON line on stdout. When a person must act (an elicitation, or a
"pause" step) the script prints the event and waits for one line on stdin: the action for an
elicitation (accept, decline or cancel), anything for a pause.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import anyio
import httpx2
import mcp_types as types
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError


def emit(event: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


async def next_line() -> str:
    return (await anyio.to_thread.run_sync(sys.stdin.readline)).strip()


async def on_elicitation(_context: Any, params: Any) -> types.ElicitResult:
    emit(
        {
            "event": "elicitation",
            "mode": getattr(params, "mode", "form"),
            "url": getattr(params, "url", None),
            "message": getattr(params, "message", None),
            "elicitationId": getattr(params, "elicitation_id", None),
        }
    )
    action = (await next_line()) or "cancel"
    return types.ElicitResult(action=action)  # type: ignore[arg-type]


def error_event(e: BaseException) -> dict[str, Any]:
    if isinstance(e, MCPError):
        data = e.error.data
        return {"event": "error", "code": e.error.code, "message": e.error.message, "data": data}
    return {"event": "error", "code": None, "message": f"{type(e).__name__}: {e}", "data": None}


async def run(scenario: dict[str, Any]) -> None:
    headers = {}
    if scenario.get("token"):
        headers["Authorization"] = f"Bearer {scenario['token']}"
    if scenario.get("user"):
        headers["Latchkey-User"] = scenario["user"]
    async with httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=300)) as http:
        transport = streamable_http_client(scenario["url"], http_client=http)
        options: dict[str, Any] = {"mode": scenario.get("version") or "auto", "cache": None}
        if scenario.get("elicitation"):
            options["elicitation_callback"] = on_elicitation
        try:
            client = Client(transport, **options)
            await client.__aenter__()
        except BaseException as e:  # noqa: BLE001 - report whatever stopped the connect
            emit({**error_event(e), "event": "connect_failed"})
            return
        try:
            emit({"event": "connected", "protocolVersion": client.session.protocol_version, "sessionId": None})
            for step in scenario.get("steps", []):
                try:
                    await run_step(client, step)
                except Exception as e:  # noqa: BLE001 - each step reports its own failure
                    emit(error_event(e))
        finally:
            await client.__aexit__(None, None, None)
    emit({"event": "done"})


async def run_step(client: Client, step: dict[str, Any]) -> None:
    op = step.get("op")
    if op == "list":
        listed = await client.list_tools()
        emit({"event": "tools", "tools": [{"name": t.name, "inputSchema": t.input_schema} for t in listed.tools]})
    elif op == "call":
        result = await client.call_tool(step["tool"], step.get("args") or {})
        text = "\n".join(c.text for c in result.content if getattr(c, "type", None) == "text")
        emit(
            {
                "event": "result",
                "isError": bool(result.is_error),
                "text": text,
                "structured": result.structured_content,
            }
        )
    elif op == "pause":
        emit({"event": "paused"})
        await next_line()
    else:
        emit({"event": "error", "message": f"unknown step {step!r}"})


def main() -> None:
    scenario = json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}")
    try:
        anyio.run(run, scenario)
    except BaseException as e:  # noqa: BLE001 - always end with a line the test can read
        emit({"event": "fatal", "message": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
