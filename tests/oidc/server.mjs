// A real OpenID provider (panva/oidc-provider, an independent, OpenID-certified implementation)
// on loopback, for Latchkey's end-to-end OAuth tests. Nothing here is Latchkey code: the
// gateway has to work with this server as it would with any strict provider.
//
//   node server.mjs --issuer https://id.example.test --client-id ID --client-secret SECRET \
//       --redirect-uri http://127.0.0.1:8080/v1/oauth/callback/oidc-demo [--port 0] \
//       [--access-token-ttl 3600] [--refresh-tokens confidential|offline-access]
//
// Every option can also come from the environment (OIDC_ISSUER, OIDC_CLIENT_ID,
// OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI, OIDC_PORT, OIDC_ACCESS_TOKEN_TTL,
// OIDC_REFRESH_TOKENS).
//
// The issuer is *logical*: the server listens on 127.0.0.1 only, and the gateway routes the
// issuer's origin here (egress overrides), so the RFC 9207 `iss` it sends is the issuer the
// connector declares. When ready it prints exactly one line to stdout:
//
//   oidc-provider listening on http://127.0.0.1:PORT
//
// Policy, on purpose strict:
// - one confidential client (client_secret_basic), authorization code only, exact redirect URI;
// - PKCE required for every authorization request (this version supports S256 only);
// - refresh tokens issued to that client (`confidential`, the default: whatever the scopes;
//   `offline-access`: oidc-provider's own default, only when `offline_access` was granted, which
//   needs `prompt=consent`), rotated on every use; reusing a rotated refresh token revokes the
//   whole grant (oidc-provider's built-in reuse detection);
// - interactions approved without a human: login as one fixed test user, consent to exactly
//   the scopes and claims requested (oidc-provider's interaction API, no dev UI).
//
// `GET /_test/events` lists what the server did (requests, grants, errors, revocations; never a
// token), for assertions.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    issuer: { type: 'string' },
    port: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    'access-token-ttl': { type: 'string' },
    'refresh-tokens': { type: 'string' },
  },
  strict: true,
});

function setting(name, envName, fallback) {
  const value = args[name] ?? process.env[envName] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`oidc-provider fixture: --${name} (or ${envName}) is required`);
    process.exit(2);
  }
  return value;
}

function seconds(name, envName, fallback) {
  const raw = setting(name, envName, fallback);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`oidc-provider fixture: --${name} must be a positive number of seconds, not ${raw}`);
    process.exit(2);
  }
  return n;
}

const issuer = setting('issuer', 'OIDC_ISSUER');
const clientId = setting('client-id', 'OIDC_CLIENT_ID');
const clientSecret = setting('client-secret', 'OIDC_CLIENT_SECRET');
const redirectUri = setting('redirect-uri', 'OIDC_REDIRECT_URI');
const port = Number(setting('port', 'OIDC_PORT', '0'));
const accessTokenTtl = seconds('access-token-ttl', 'OIDC_ACCESS_TOKEN_TTL', '3600');
const refreshTokens = setting('refresh-tokens', 'OIDC_REFRESH_TOKENS', 'confidential');
if (!['confidential', 'offline-access'].includes(refreshTokens)) {
  console.error(`oidc-provider fixture: --refresh-tokens is confidential or offline-access, not ${refreshTokens}`);
  process.exit(2);
}

/** The one person who can sign in. */
const ACCOUNT = {
  accountId: 'alice-oidc',
  name: 'Alice OIDC',
  email: 'alice-oidc@id.example.test',
};

/** What the server did, in order (no token values). */
const events = [];
function record(kind, detail = {}) {
  events.push({ kind, ...detail });
}

// An ephemeral signing key for ID tokens (instead of the library's development keys).
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'fixture-rs256', use: 'sig', alg: 'RS256' };

const configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'client_secret_basic',
      application_type: 'web',
    },
  ],
  // Always, whatever the client: an authorization request without code_challenge is refused,
  // and S256 is the only method this version accepts.
  pkce: { required: () => true },
  // Every refresh returns a new refresh token and consumes the old one.
  rotateRefreshToken: true,
  // `confidential`: oidc-provider's documented alternative to its default (which needs
  // `offline_access`, a scope that only survives with `prompt=consent`): confidential web
  // clients get a refresh token whatever the scopes, as many hosted providers do.
  async issueRefreshToken(_ctx, client, code) {
    if (!client.grantTypeAllowed('refresh_token')) {
      return false;
    }
    const confidential = client.applicationType === 'web' && client.clientAuthMethod !== 'none';
    return code.scopes.has('offline_access')
      || (refreshTokens === 'confidential' && confidential);
  },
  ttl: {
    AccessToken: accessTokenTtl,
    AuthorizationCode: 60,
    IdToken: 3600,
    RefreshToken: 24 * 3600,
    Grant: 24 * 3600,
    Interaction: 600,
    Session: 24 * 3600,
  },
  scopes: ['openid', 'offline_access'],
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  async findAccount(_ctx, sub) {
    if (sub !== ACCOUNT.accountId) {
      return undefined;
    }
    return {
      accountId: sub,
      async claims() {
        return { sub, name: ACCOUNT.name, email: ACCOUNT.email, email_verified: true };
      },
    };
  },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    userinfo: { enabled: true },
  },
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  async renderError(ctx, out, _error) {
    ctx.type = 'application/json';
    ctx.body = out;
  },
};

const provider = new Provider(issuer, configuration);

for (const name of ['grant.success', 'grant.error', 'grant.revoked', 'authorization.success',
  'authorization.error', 'revocation.error', 'userinfo.error', 'server_error']) {
  provider.on(name, (ctx, error) => {
    const detail = { route: ctx?.oidc?.route };
    const grantType = ctx?.oidc?.params?.grant_type;
    if (grantType) {
      detail.grant_type = grantType;
    }
    if (error && typeof error === 'object' && 'message' in error) {
      detail.error = error.error ?? error.message;
      detail.error_description = error.error_description;
      if (error.error_detail) {
        detail.error_detail = error.error_detail;
      }
    }
    if (name === 'grant.revoked') {
      detail.grant_id = error;
    }
    record(name, detail);
  });
}
for (const name of ['refresh_token.saved', 'refresh_token.consumed', 'refresh_token.destroyed']) {
  provider.on(name, () => record(name));
}

/** Log in as the fixed account, then consent to what is asked, without a human. */
async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  record('interaction', { prompt: prompt.name, scope: params.scope });
  if (prompt.name === 'login') {
    return provider.interactionFinished(req, res, { login: { accountId: ACCOUNT.accountId } }, {
      mergeWithLastSubmission: false,
    });
  }
  if (prompt.name === 'consent') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const missing = prompt.details;
    if (missing.missingOIDCScope) {
      grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    }
    if (missing.missingOIDCClaims) {
      grant.addOIDCClaims(missing.missingOIDCClaims);
    }
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    const consent = details.grantId ? {} : { grantId };
    return provider.interactionFinished(req, res, { consent }, { mergeWithLastSubmission: true });
  }
  return provider.interactionFinished(req, res, {
    error: 'access_denied',
    error_description: `the fixture does not handle the ${prompt.name} prompt`,
  }, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
const server = createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://fixture').pathname;
  if (path !== '/_test/events') {
    record('request', { method: req.method, path });
  }
  if (req.method === 'GET' && path === '/_test/events') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ events }));
    return;
  }
  if (req.method === 'GET' && /^\/interaction\/[^/]+$/.test(path)) {
    interaction(req, res).catch((error) => {
      record('interaction.error', { error: String(error?.message ?? error) });
      if (!res.headersSent) {
        res.statusCode = 400;
        res.setHeader('content-type', 'application/json');
      }
      res.end(JSON.stringify({ error: 'interaction_failed', error_description: String(error?.message ?? error) }));
    });
    return;
  }
  handle(req, res);
});

server.on('error', (error) => {
  console.error(`oidc-provider fixture: cannot listen: ${error.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address();
  process.stdout.write(`oidc-provider listening on http://127.0.0.1:${bound}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
