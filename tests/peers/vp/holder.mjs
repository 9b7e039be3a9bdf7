// A real OpenID4VP holder driven by tests/presentations/test_holder_peer.py.
//
// One process serves a whole test module: it reads one JSON command per line on stdin and writes one
// JSON answer per line on stdout.
//   {"cmd": "present", "link": "openid4vp://?...", "credential": "<sd-jwt vc>", "holderJwk": {private jwk},
//    "trustRoot": "<PEM>", "kb": {"nonce": "...", "aud": "..."}}
//       parses the link, fetches the request object behind request_uri and verifies it
//       (@openid4vc/openid4vp: JAR typ, client_id = x509_san_dns SAN and response_uri host; this file:
//       the x5c signature and its chain up to trustRoot), matches the DCQL query against the credential
//       (dcql), discloses exactly the asked claims with a key-binding JWT (@sd-jwt/sd-jwt-vc: aud =
//       client_id, the request's nonce, sd_hash, iat; `kb` overrides them to act as a dishonest holder),
//       posts the response (direct_post, or direct_post.jwt encrypted with jose to the request's key) and
//       reports the verifier's answer.
// Answers are {"ok": true, ...} or {"ok": false, "error": ..., "step": ...}.
import crypto from 'node:crypto'
import readline from 'node:readline'
import { Openid4vpClient } from '@openid4vc/openid4vp'
import { setGlobalConfig } from '@openid4vc/utils'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { digest, generateSalt } from '@sd-jwt/crypto-nodejs'
import { DcqlQuery } from 'dcql'
import { CompactEncrypt, importJWK } from 'jose'

// The tests serve the verifier over plain HTTP on 127.0.0.1; production verifiers are https.
setGlobalConfig({ allowInsecureUrls: true })

const b64url = (bytes) => Buffer.from(bytes).toString('base64url')
const decodePart = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))

function certificate(base64Der) {
  return new crypto.X509Certificate(Buffer.from(base64Der, 'base64'))
}

// The x5c chain must end at the trusted root, each certificate signed by the next; the leaf signs the JWT.
function verifyX5cJwt(x5c, compact, trustRoot) {
  const chain = x5c.map(certificate)
  const root = new crypto.X509Certificate(trustRoot)
  const now = new Date()
  for (const [index, cert] of chain.entries()) {
    const issuer = chain[index + 1] ?? root
    if (!cert.verify(issuer.publicKey)) throw new Error(`x5c[${index}] is not signed by its issuer`)
    if (new Date(cert.validFrom) > now || new Date(cert.validTo) < now) throw new Error(`x5c[${index}] is not valid now`)
  }
  const [header, payload, signature] = compact.split('.')
  const verified = crypto.verify('sha256', Buffer.from(`${header}.${payload}`), { key: chain[0].publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'))
  return { verified, signerJwk: chain[0].publicKey.export({ format: 'jwk' }) }
}

function sanNames(base64Der, kind) {
  const san = certificate(base64Der).subjectAltName ?? ''
  return san.split(', ').filter((entry) => entry.startsWith(`${kind}:`)).map((entry) => entry.slice(kind.length + 1))
}

function client(trustRoot) {
  return new Openid4vpClient({
    callbacks: {
      fetch,
      hash: (data, alg) => crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
      verifyJwt: async (signer, { compact }) => {
        if (signer.method !== 'x5c') return { verified: false }
        return verifyX5cJwt(signer.x5c, compact, trustRoot)
      },
      getX509CertificateMetadata: (cert) => ({ sanDnsNames: sanNames(cert, 'DNS'), sanUriNames: sanNames(cert, 'URI') }),
      // direct_post.jwt: the response as a JWE to the key in the request's client_metadata (jose does the JWE).
      encryptJwe: async (encryptor, data) => {
        const key = await importJWK(encryptor.publicJwk, encryptor.alg)
        const parameters = { apv: Buffer.from(encryptor.apv, 'base64url') }
        if (encryptor.apu) parameters.apu = Buffer.from(encryptor.apu, 'base64url')
        const jwe = await new CompactEncrypt(new TextEncoder().encode(data))
          .setProtectedHeader({ alg: encryptor.alg, enc: encryptor.enc, kid: encryptor.publicJwk.kid })
          .setKeyManagementParameters(parameters)
          .encrypt(key)
        return { encryptionJwk: encryptor.publicJwk, jwe }
      },
    },
  })
}

function holderInstance(privateJwk) {
  const key = crypto.createPrivateKey({ key: privateJwk, format: 'jwk' })
  return new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
    kbSigner: (data) => b64url(crypto.sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' })),
    kbSignAlg: 'ES256',
  })
}

// DCQL: does the credential satisfy the query, and which claims does it ask for?
async function select(query, credential, holder) {
  const claims = await holder.getClaims(credential)
  const parsed = DcqlQuery.parse(query)
  DcqlQuery.validate(parsed)
  const candidate = { credential_format: 'dc+sd-jwt', vct: claims.vct, claims, cryptographic_holder_binding: true }
  const result = DcqlQuery.query(parsed, [candidate])
  if (!result.can_be_satisfied) throw new Error('the credential does not satisfy the DCQL query')
  const credentialQuery = parsed.credentials[0]
  const frame = Object.fromEntries((credentialQuery.claims ?? []).map((claim) => [claim.path[0], true]))
  return { queryId: credentialQuery.id, frame }
}

async function present({ link, credential, holderJwk, trustRoot, kb = {} }) {
  const wallet = client(trustRoot)
  let step = 'parse link'
  try {
    const parsed = wallet.parseOpenid4vpAuthorizationRequest({ authorizationRequest: link })
    step = 'resolve request'
    const resolved = await wallet.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params })
    const request = resolved.authorizationRequestPayload
    step = 'dcql'
    const holder = holderInstance(holderJwk)
    const { queryId, frame } = await select(resolved.dcql.query, credential, holder)
    step = 'present'
    const presentation = await holder.present(credential, frame, {
      kb: { payload: { aud: kb.aud ?? request.client_id, nonce: kb.nonce ?? request.nonce, iat: Math.floor(Date.now() / 1000) } },
    })
    step = 'respond'
    const encrypted = request.response_mode === 'direct_post.jwt'
    const { authorizationResponsePayload, jarm } = await wallet.createOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request,
      authorizationResponsePayload: { vp_token: { [queryId]: [presentation] } },
      ...(encrypted ? {
        jarm: {
          encryption: { nonce: crypto.randomBytes(16).toString('base64url') },
          serverMetadata: { authorization_encryption_alg_values_supported: ['ECDH-ES'],
            authorization_encryption_enc_values_supported: ['A128GCM', 'A256GCM'] },
        },
      } : {}),
    })
    step = 'submit'
    const { response } = await wallet.submitOpenid4vpAuthorizationResponse({
      authorizationRequestPayload: request, authorizationResponsePayload, ...(jarm ? { jarm: { responseJwt: jarm.responseJwt } } : {}),
    })
    const text = await response.text()
    let body
    try { body = JSON.parse(text) } catch { body = text }
    const disclosed = presentation.split('~').slice(1, -1).map((part) => decodePart(part)[1])
    return {
      ok: true,
      request: { client_id: request.client_id, response_uri: request.response_uri, nonce: request.nonce, state: request.state,
        response_mode: request.response_mode, dcql_query: resolved.dcql.query, signer: resolved.jar?.signer?.method ?? null },
      client: { prefix: resolved.client.prefix, identifier: resolved.client.identifier },
      disclosed,
      response: { status: response.status, body },
      vpToken: JSON.stringify({ [queryId]: [presentation] }),
      encryptedResponse: jarm?.responseJwt ?? null,
    }
  } catch (error) {
    return { ok: false, step, error: String(error?.message ?? error), details: error?.errorResponse ?? null }
  }
}

const commands = { present }
const lines = readline.createInterface({ input: process.stdin })
for await (const line of lines) {
  if (!line.trim()) continue
  const command = JSON.parse(line)
  const handler = commands[command.cmd]
  const answer = handler ? await handler(command) : { ok: false, error: `unknown command ${command.cmd}` }
  process.stdout.write(JSON.stringify(answer) + '\n')
}
