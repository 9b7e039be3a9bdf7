// A real wallet and verifier driven by tests/issuer/test_wallet_peer.py.
//
//   node wallet.mjs issue <openid-credential-offer://...> <tx_code>
//       resolves the offer, gets a token with the tx_code, a c_nonce, proves possession of a fresh
//       P-256 key, receives the SD-JWT VC, notifies credential_accepted, then verifies it
//       (signature via /.well-known/jwt-vc-issuer, disclosures, status list) and presents it
//       selectively with a key-binding JWT.
//   node wallet.mjs verify <sd-jwt-vc>
//       verifies an SD-JWT VC again, status included.
//   node wallet.mjs authorize-start <openid-credential-offer://...> <state.json>
//       the authorization code flow from the offer's issuer_state: pushes the request (PAR, PKCE
//       S256, a DPoP key for the code) and prints the URL the citizen opens; keeps what the
//       second half needs in state.json.
//   node wallet.mjs authorize-finish <state.json> <redirect URL the citizen came back with>
//       checks the answer (state, iss), redeems the code with the PKCE verifier and DPoP, and
//       receives the credential.
//   node wallet.mjs issue-haip <openid-credential-offer://...> <tx_code> <provider.json>
//       the same as a high-assurance wallet: a wallet attestation from the wallet provider of
//       provider.json ({privateKeyPem, x5c}) authenticates it at the token endpoint, its tokens
//       are DPoP-bound, and one request with three key proofs, each carrying the provider's key
//       attestation of the three holder keys, gets a batch of three credentials.
//
// Prints one JSON object on stdout; errors are reported in it as {"error": ..., "step": ...}.
// The protocol work is @openid4vc/openid4vci's and @sd-jwt/sd-jwt-vc's; this file only supplies
// the crypto callbacks they ask for (node:crypto) and the issuer key lookup.
import crypto from 'node:crypto'
import fs from 'node:fs'
import {
  Openid4vciClient,
  Openid4vciWalletProvider,
  setGlobalConfig,
} from '@openid4vc/openid4vci'
import {
  clientAuthenticationAnonymous,
  clientAuthenticationClientAttestationJwt,
  clientAuthenticationNone,
} from '@openid4vc/oauth2'
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc'
import { digest, generateSalt } from '@sd-jwt/crypto-nodejs'

// The tests serve the issuer over plain HTTP on 127.0.0.1; production issuers are https.
setGlobalConfig({ allowInsecureUrls: true })

const b64url = (bytes) => Buffer.from(bytes).toString('base64url')
const decodePart = (part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))

function signCompact(header, payload, privateKey) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  const signature = crypto.sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' })
  return `${input}.${b64url(signature)}`
}

function verifyEs256(data, signature, publicJwk) {
  const key = crypto.createPublicKey({ key: publicJwk, format: 'jwk' })
  return crypto.verify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'))
}

// SD-JWT VC §3.5 / §4: the issuer's key comes from <iss>/.well-known/jwt-vc-issuer, chosen by kid.
async function issuerVerifier(data, signature) {
  const [headerPart, payloadPart] = data.split('.')
  const header = decodePart(headerPart)
  const payload = decodePart(payloadPart)
  if (header.alg !== 'ES256') throw new Error(`unexpected issuer alg ${header.alg}`)
  const response = await fetch(`${payload.iss}/.well-known/jwt-vc-issuer`)
  if (!response.ok) throw new Error(`jwt-vc-issuer metadata: HTTP ${response.status}`)
  const metadata = await response.json()
  if (metadata.issuer !== payload.iss) throw new Error('jwt-vc-issuer metadata names another issuer')
  const key = metadata.jwks.keys.find((k) => k.kid === header.kid)
  if (!key) throw new Error(`no issuer key with kid ${header.kid}`)
  return verifyEs256(data, signature, key)
}

function verifierInstance(holder) {
  return new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
    verifier: issuerVerifier,
    statusVerifier: issuerVerifier,
    // Key binding: the KB-JWT must verify with the key in the credential's cnf.
    kbVerifier: async (data, signature, payload) => verifyEs256(data, signature, payload.cnf.jwk),
    kbSigner: holder ? (data) => b64url(crypto.sign('sha256', Buffer.from(data), { key: holder, dsaEncoding: 'ieee-p1363' })) : undefined,
    kbSignAlg: 'ES256',
    // Fetch and check the Type Metadata the vct URL points at (SD-JWT VC §6).
    loadTypeMetadataFormat: true,
  })
}

async function verify(credential) {
  try {
    const { payload, header, typeMetadata } = await verifierInstance().verify(credential)
    const claims = await verifierInstance().getClaims(credential)
    return { verified: true, status: 'valid', header, payload, claims, typeMetadata }
  } catch (error) {
    return { verified: false, error: String(error?.message ?? error), name: error?.name }
  }
}

async function issue(offerUri, txCode) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const publicJwk = publicKey.export({ format: 'jwk' })
  const client = new Openid4vciClient({
    callbacks: {
      fetch,
      hash: (data, alg) => crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
      generateRandom: (length) => crypto.randomBytes(length),
      clientAuthentication: clientAuthenticationAnonymous(),
      signJwt: async (signer, { header, payload }) => {
        if (signer.method !== 'jwk') throw new Error(`unsupported signer ${signer.method}`)
        return { jwt: signCompact(header, payload, privateKey), signerJwk: publicJwk }
      },
    },
  })
  let step = 'resolve offer'
  try {
    const offer = await client.resolveCredentialOffer(offerUri)
    step = 'issuer metadata'
    const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer)
    const configurationId = offer.credential_configuration_ids[0]
    step = 'token'
    const { accessTokenResponse } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: offer,
      issuerMetadata,
      txCode,
    })
    step = 'nonce'
    const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata })
    step = 'proof'
    const { jwt: proof } = await client.createCredentialRequestJwtProof({
      issuerMetadata,
      credentialConfigurationId: configurationId,
      signer: { method: 'jwk', alg: 'ES256', publicJwk },
      nonce,
    })
    step = 'credential'
    const { credentialResponse } = await client.retrieveCredentials({
      issuerMetadata,
      accessToken: accessTokenResponse.access_token,
      credentialConfigurationId: configurationId,
      proofs: { jwt: [proof] },
    })
    const credential = credentialResponse.credentials[0].credential
    step = 'notification'
    await client.sendNotification({
      issuerMetadata,
      accessToken: accessTokenResponse.access_token,
      notification: { notificationId: credentialResponse.notification_id, event: 'credential_accepted' },
    })
    step = 'verify'
    const verification = await verify(credential)
    step = 'present'
    const holder = verifierInstance(privateKey)
    const presentation = await holder.present(credential, { full_name: true }, {
      kb: { payload: { aud: 'https://verifier.example', nonce: 'presentation-nonce', iat: Math.floor(Date.now() / 1000) } },
    })
    const presented = await verifierInstance().verify(presentation, { keyBindingNonce: 'presentation-nonce' })
    return {
      offer,
      configurationId,
      issuerMetadata: issuerMetadata.credentialIssuer,
      tokenType: accessTokenResponse.token_type,
      credential,
      notificationId: credentialResponse.notification_id,
      holderJwk: publicJwk,
      verification,
      presentation: { claims: presented.payload, keyBinding: presented.kb?.payload ?? null },
    }
  } catch (error) {
    return { error: String(error?.message ?? error), step, details: error?.response ?? error?.errorResponse ?? null }
  }
}

// Keys by the x of their public JWK, so that the libraries' signJwt callbacks (which name the
// signer by its public key) find the private key; the wallet provider signs with its x5c.
function keyring(provider) {
  const keys = new Map()
  const add = () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    const publicJwk = publicKey.export({ format: 'jwk' })
    keys.set(publicJwk.x, privateKey)
    return publicJwk
  }
  const signJwt = async (signer, { header, payload }) => {
    if (signer.method === 'x5c') return { jwt: signCompact({ ...header, x5c: signer.x5c }, payload, provider.privateKey) }
    if (signer.method !== 'jwk' || !keys.has(signer.publicJwk.x)) throw new Error(`unsupported signer ${signer.method}`)
    return { jwt: signCompact(header, payload, keys.get(signer.publicJwk.x)), signerJwk: signer.publicJwk }
  }
  return { add, signJwt, keys }
}

async function issueHaip(offerUri, txCode, providerFile) {
  const provider = JSON.parse(fs.readFileSync(providerFile, 'utf8'))
  provider.privateKey = crypto.createPrivateKey(provider.privateKeyPem)
  const providerSigner = { method: 'x5c', alg: 'ES256', x5c: provider.x5c }
  const ring = keyring(provider)
  const instanceJwk = ring.add()
  const dpopJwk = ring.add()
  const holderJwks = [ring.add(), ring.add(), ring.add()]
  const walletProvider = new Openid4vciWalletProvider({ callbacks: { signJwt: ring.signJwt } })
  const now = Date.now()
  const clientAttestationJwt = await walletProvider.createWalletAttestationJwt({
    issuer: 'https://wallet-provider.example', clientId: 'npm-wallet', confirmation: { jwk: instanceJwk },
    expiresAt: new Date(now + 3600e3), signer: providerSigner, walletName: 'npm test wallet',
  })
  const callbacks = {
    fetch,
    hash: (data, alg) => crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
    generateRandom: (length) => crypto.randomBytes(length),
    signJwt: ring.signJwt,
  }
  const client = new Openid4vciClient({
    callbacks: { ...callbacks, clientAuthentication: clientAuthenticationClientAttestationJwt({ clientAttestationJwt, callbacks }) },
  })
  let step = 'resolve offer'
  try {
    const offer = await client.resolveCredentialOffer(offerUri)
    const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer)
    const configurationId = offer.credential_configuration_ids[0]
    step = 'token'
    const { accessTokenResponse, dpop } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer: offer, issuerMetadata, txCode,
      dpop: { signer: { method: 'jwk', alg: 'ES256', publicJwk: dpopJwk } },
    })
    step = 'nonce'
    const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata })
    step = 'key attestation'
    const keyAttestationJwt = await walletProvider.createKeyAttestationJwt({
      attestedKeys: holderJwks, nonce, expiresAt: new Date(now + 600e3), keyStorage: ['iso_18045_high'],
      use: 'proof_type.jwt', signer: providerSigner,
    })
    step = 'proof'
    const proofs = []
    for (const publicJwk of holderJwks) {
      const { jwt } = await client.createCredentialRequestJwtProof({
        issuerMetadata, credentialConfigurationId: configurationId, nonce, keyAttestationJwt,
        signer: { method: 'jwk', alg: 'ES256', publicJwk },
      })
      proofs.push(jwt)
    }
    step = 'credential'
    const { credentialResponse, dpop: dpopAfter } = await client.retrieveCredentials({
      issuerMetadata, accessToken: accessTokenResponse.access_token, credentialConfigurationId: configurationId,
      proofs: { jwt: proofs }, dpop,
    })
    step = 'notification'
    await client.sendNotification({
      issuerMetadata, accessToken: accessTokenResponse.access_token,
      dpop: { signer: dpop.signer, nonce: dpopAfter?.nonce ?? dpop.nonce },
      notification: { notificationId: credentialResponse.notification_id, event: 'credential_accepted' },
    })
    step = 'verify'
    const credentials = credentialResponse.credentials.map((entry) => entry.credential)
    const verifications = []
    for (const credential of credentials) verifications.push(await verify(credential))
    return {
      tokenType: accessTokenResponse.token_type,
      dpopJwk,
      holderJwks,
      credentials,
      verifications,
      authorizationServerMetadata: issuerMetadata.authorizationServers[0],
    }
  } catch (error) {
    return { error: String(error?.message ?? error), step, details: error?.response ?? error?.errorResponse ?? null }
  }
}

const REDIRECT_URI = 'https://wallet.example/callback'

// A public client: it names itself (client_id) in every request, authenticated by nothing else.
function publicClient(ring) {
  return new Openid4vciClient({
    callbacks: {
      fetch,
      hash: (data, alg) => crypto.createHash(alg.replace('-', '').toLowerCase()).update(data).digest(),
      generateRandom: (length) => crypto.randomBytes(length),
      clientAuthentication: clientAuthenticationNone({ clientId: 'npm-wallet' }),
      signJwt: ring.signJwt,
    },
  })
}

async function authorizeStart(offerUri, stateFile) {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const dpopJwk = publicKey.export({ format: 'jwk' })
  const ring = keyring({})
  ring.keys.set(dpopJwk.x, privateKey)
  const client = publicClient(ring)
  try {
    const offer = await client.resolveCredentialOffer(offerUri)
    const issuerMetadata = await client.resolveIssuerMetadata(offer.credential_issuer)
    const started = await client.initiateAuthorization({
      credentialOffer: offer, issuerMetadata, clientId: 'npm-wallet', redirectUri: REDIRECT_URI,
      scope: 'administrative_result', dpop: { signer: { method: 'jwk', alg: 'ES256', publicJwk: dpopJwk } },
    })
    fs.writeFileSync(stateFile, JSON.stringify({
      offer, dpopJwk, dpopPrivateJwk: privateKey.export({ format: 'jwk' }), pkceCodeVerifier: started.pkce?.codeVerifier,
    }))
    return { authorizationRequestUrl: started.authorizationRequestUrl, flow: started.authorizationFlow }
  } catch (error) {
    return { error: String(error?.message ?? error), step: 'par', details: error?.response ?? error?.errorResponse ?? null }
  }
}

async function authorizeFinish(stateFile, redirectUrl) {
  const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'))
  const ring = keyring({})
  ring.keys.set(state.dpopJwk.x, crypto.createPrivateKey({ key: state.dpopPrivateJwk, format: 'jwk' }))
  const holder = ring.add()
  const client = publicClient(ring)
  let step = 'authorization response'
  try {
    const issuerMetadata = await client.resolveIssuerMetadata(state.offer.credential_issuer)
    const response = client.parseAndVerifyAuthorizationResponseRedirectUrl({
      url: redirectUrl, authorizationServerMetadata: issuerMetadata.authorizationServers[0],
    })
    step = 'token'
    const { accessTokenResponse, dpop } = await client.retrieveAuthorizationCodeAccessTokenFromOffer({
      credentialOffer: state.offer, issuerMetadata, authorizationCode: response.code,
      pkceCodeVerifier: state.pkceCodeVerifier, redirectUri: REDIRECT_URI,
      dpop: { signer: { method: 'jwk', alg: 'ES256', publicJwk: state.dpopJwk } },
    })
    step = 'credential'
    const { c_nonce: nonce } = await client.requestNonce({ issuerMetadata })
    const { jwt: proof } = await client.createCredentialRequestJwtProof({
      issuerMetadata, credentialConfigurationId: 'administrative_result', nonce,
      signer: { method: 'jwk', alg: 'ES256', publicJwk: holder },
    })
    const { credentialResponse } = await client.retrieveCredentials({
      issuerMetadata, accessToken: accessTokenResponse.access_token, credentialConfigurationId: 'administrative_result',
      proofs: { jwt: [proof] }, dpop,
    })
    const credential = credentialResponse.credentials[0].credential
    return { tokenType: accessTokenResponse.token_type, credential, verification: await verify(credential) }
  } catch (error) {
    return { error: String(error?.message ?? error), step, details: error?.response ?? error?.errorResponse ?? null }
  }
}

const [mode, ...args] = process.argv.slice(2)
const modes = {
  issue: () => issue(args[0], args[1]),
  'issue-haip': () => issueHaip(args[0], args[1], args[2]),
  'authorize-start': () => authorizeStart(args[0], args[1]),
  'authorize-finish': () => authorizeFinish(args[0], args[1]),
  verify: () => verify(args[0]),
}
const output = modes[mode] ? await modes[mode]() : { error: `unknown mode ${mode}` }
process.stdout.write(JSON.stringify(output))
