// A certified OpenID provider (oidc-provider) standing in for the national e-ID and an agency IdP in
// the login tests. Started by tests/auth/test_oidc_provider_login.py with:
//   PEER_ACCOUNTS  JSON {username: claims}  (the demo accounts and every claim both profiles need;
//                  `accountLevel` also becomes the login's acr "urn:vn:loa:N")
//   PEER_CLIENTS   JSON [{client_id, client_secret, redirect_uris, post_logout_redirect_uris}]
// Listens on 127.0.0.1, an ephemeral port, and prints one line: "ready <issuer>".
// The login page checks the password `demo`; consent is implied (first-party clients).
import { randomBytes, generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { parse as parseQuery } from 'node:querystring';

import Provider from 'oidc-provider';

const accounts = JSON.parse(process.env.PEER_ACCOUNTS);
const clients = JSON.parse(process.env.PEER_CLIENTS);
const PASSWORD = 'demo';

const signingKey = {
  ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
  use: 'sig', alg: 'RS256', kid: randomBytes(8).toString('hex'),
};
const claimNames = [...new Set(Object.values(accounts).flatMap((c) => Object.keys(c)))].filter((n) => n !== 'sub');
const acrOf = (claims) => (claims.accountLevel ? `urn:vn:loa:${claims.accountLevel}` : undefined);
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, error) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Sign-in</title></head><body>
${error ? `<p role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<input name="username" required><input name="password" type="password" required><button type="submit">Sign-in</button>
</form></body></html>`;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(parseQuery(data)));
    req.on('error', reject);
  });
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    // acr under `openid`: the login's assurance level goes into every ID token (standard profile reads it).
    claims: { openid: ['sub', 'acr'], profile: claimNames },
    acrValues: ['urn:vn:loa:1', 'urn:vn:loa:2'],
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    pkce: { required: () => true },
    async findAccount(ctx, sub) {
      if (!accounts[sub]) return undefined;
      return { accountId: sub, claims: async () => ({ ...accounts[sub], sub }) };
    },
    // First-party clients: the grant is implied, no consent page.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile');
      grant.addOIDCClaims(claimNames);
      await grant.save();
      return grant;
    },
  });
  const handle = provider.callback();

  server.on('request', async (req, res) => {
    const match = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
    if (!match) { handle(req, res); return; }
    try {
      const { uid } = await provider.interactionDetails(req, res);
      if (req.method === 'POST' && match[2]) {
        const { username, password } = await readBody(req);
        if (!accounts[username] || password !== PASSWORD) {
          res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8' });
          res.end(loginPage(uid, 'Wrong username or password.'));
          return;
        }
        await provider.interactionFinished(req, res, {
          login: { accountId: username, acr: acrOf(accounts[username]) },
        }, { mergeWithLastSubmission: false });
        return;
      }
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(loginPage(uid));
    } catch (err) {
      res.writeHead(400, { 'Content-Type': 'text/plain' });
      res.end(`interaction failed: ${err.message}`);
    }
  });
  console.log(`ready ${issuer}`);
});
