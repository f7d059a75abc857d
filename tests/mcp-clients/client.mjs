// A real MCP client from the official TypeScript SDK, driven by Latchkey's end-to-end tests.
//
//   node client.mjs '<scenario JSON>'
//
// The scenario: { "url", "token", "user"?, "sdk": "v1" | "v2", "version": "auto" | "<pin>",
// "elicitation": bool, "steps": [ {"op": "list"} | {"op": "call", "tool", "args"} |
// {"op": "pause"} ] }. `sdk: "v1"` is @modelcontextprotocol/sdk (protocol 2025-11-25, sessions);
// `sdk: "v2"` is @modelcontextprotocol/client (protocol 2026-07-28, stateless).
//
// Every observation is one JSON line on stdout. When a person must act (an elicitation, or a
// "pause" step) the script prints the event and waits for one line on stdin: the action for
// an elicitation (accept, decline or cancel), anything for a pause.

import readline from 'node:readline';

const scenario = JSON.parse(process.argv[2] ?? '{}');

const emit = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function nextLine() {
  const { value, done } = await lines.next();
  return done ? '' : value.trim();
}

function headers() {
  const h = {};
  if (scenario.token) h.Authorization = `Bearer ${scenario.token}`;
  if (scenario.user) h['Latchkey-User'] = scenario.user;
  return h;
}

async function onElicitation(params) {
  emit({
    event: 'elicitation',
    mode: params.mode ?? 'form',
    url: params.url ?? null,
    message: params.message ?? null,
    elicitationId: params.elicitationId ?? null,
  });
  const action = (await nextLine()) || 'cancel';
  return { action };
}

async function connectV1() {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
  const { StreamableHTTPClientTransport } = await import(
    '@modelcontextprotocol/sdk/client/streamableHttp.js'
  );
  const { ElicitRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
  const transport = new StreamableHTTPClientTransport(new URL(scenario.url), {
    requestInit: { headers: headers() },
  });
  const client = new Client(
    { name: 'latchkey-e2e-ts-v1', version: '1.0.0' },
    { capabilities: scenario.elicitation ? { elicitation: { url: {} } } : {} },
  );
  if (scenario.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, (request) => onElicitation(request.params));
  }
  await client.connect(transport);
  return {
    client,
    info: {
      protocolVersion: transport.protocolVersion ?? null,
      sessionId: transport.sessionId ?? null,
    },
    close: async () => {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

async function connectV2() {
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const transport = new StreamableHTTPClientTransport(new URL(scenario.url), {
    requestInit: { headers: headers() },
  });
  const mode = !scenario.version || scenario.version === 'auto' ? 'auto' : { pin: scenario.version };
  const client = new Client(
    { name: 'latchkey-e2e-ts-v2', version: '1.0.0' },
    {
      capabilities: scenario.elicitation ? { elicitation: { url: {} } } : {},
      versionNegotiation: { mode },
    },
  );
  if (scenario.elicitation) {
    client.setRequestHandler('elicitation/create', (request) => onElicitation(request.params));
  }
  await client.connect(transport);
  return {
    client,
    info: {
      protocolVersion: transport.protocolVersion ?? client.getNegotiatedProtocolVersion?.() ?? null,
      sessionId: transport.sessionId ?? null,
    },
    close: () => client.close(),
  };
}

function errorEvent(e) {
  return {
    event: 'error',
    code: e?.code ?? null,
    message: String(e?.message ?? e),
    data: e?.data ?? null,
  };
}

async function main() {
  let session;
  try {
    session = scenario.sdk === 'v2' ? await connectV2() : await connectV1();
  } catch (e) {
    emit({ ...errorEvent(e), event: 'connect_failed' });
    return;
  }
  emit({ event: 'connected', ...session.info });
  for (const step of scenario.steps ?? []) {
    try {
      if (step.op === 'list') {
        const { tools } = await session.client.listTools();
        emit({ event: 'tools', tools: tools.map((t) => ({ name: t.name, inputSchema: t.inputSchema })) });
      } else if (step.op === 'call') {
        const result = await session.client.callTool({ name: step.tool, arguments: step.args ?? {} });
        emit({
          event: 'result',
          isError: result.isError === true,
          text: (result.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n'),
          structured: result.structuredContent ?? null,
        });
      } else if (step.op === 'pause') {
        emit({ event: 'paused' });
        await nextLine();
      } else {
        emit({ event: 'error', message: `unknown step ${JSON.stringify(step)}` });
      }
    } catch (e) {
      emit(errorEvent(e));
    }
  }
  await session.close().catch(() => {});
  emit({ event: 'done' });
}

main()
  .catch((e) => emit({ event: 'fatal', message: String(e?.stack ?? e) }))
  .finally(() => process.exit(0));
