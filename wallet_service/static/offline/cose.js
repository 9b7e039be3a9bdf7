/* Reading and checking a result's offline code in the browser, as offline_qr does on the server:
   prefix VN1:, Base45, zlib (bounded), COSE_Sign1 (ES256, RS256, PS256) checked with WebCrypto
   against the trust list, itself a JWS (ES256) checked with the service's key. No dependency. */
(function () {
  "use strict";
  var PREFIX = "VN1:", MAX_TEXT = 4296, MAX_INFLATED = 4096, MAX_DEPTH = 8;
  var B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

  function Refused(code) { this.code = code; }

  function base45(text) {
    var out = [], i, v;
    for (i = 0; i < text.length; i += 3) {
      var chunk = text.substr(i, 3), digits = [];
      for (var j = 0; j < chunk.length; j++) {
        var d = B45.indexOf(chunk[j]);
        if (d < 0) throw new Refused("not_base45");
        digits.push(d);
      }
      if (digits.length === 1) throw new Refused("not_base45");
      v = digits[0] + digits[1] * 45 + (digits.length === 3 ? digits[2] * 2025 : 0);
      if (digits.length === 3) { if (v > 65535) throw new Refused("not_base45"); out.push(v >> 8, v & 255); }
      else { if (v > 255) throw new Refused("not_base45"); out.push(v); }
    }
    return new Uint8Array(out);
  }

  async function inflate(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    var reader = stream.getReader(), parts = [], total = 0;
    try {
      for (;;) {
        var step = await reader.read();
        if (step.done) break;
        total += step.value.length;
        if (total > MAX_INFLATED) { reader.cancel(); throw new Refused("too_large"); }
        parts.push(step.value);
      }
    } catch (e) {
      if (e instanceof Refused) throw e;
      throw new Refused("truncated");
    }
    var out = new Uint8Array(total), at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  /* CBOR (RFC 8949), definite lengths only: what a code holds. Maps keep integer keys as numbers. */
  function cborDecode(bytes) {
    var pos = 0;
    function need(n) { if (pos + n > bytes.length) throw new Refused("not_cose"); }
    function uint(info) {
      if (info < 24) return info;
      var size = {24: 1, 25: 2, 26: 4, 27: 8}[info];
      if (!size) throw new Refused("not_cose");
      need(size);
      var v = 0;
      for (var i = 0; i < size; i++) v = v * 256 + bytes[pos++];
      return v;
    }
    function item(depth) {
      if (depth > MAX_DEPTH) throw new Refused("not_cose");
      need(1);
      var first = bytes[pos++], major = first >> 5, n = uint(first & 31), i, out;
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: need(n); out = bytes.slice(pos, pos + n); pos += n; return out;
        case 3: need(n); out = new TextDecoder("utf-8", {fatal: true}).decode(bytes.slice(pos, pos + n)); pos += n; return out;
        case 4: if (n > bytes.length) throw new Refused("not_cose"); out = []; for (i = 0; i < n; i++) out.push(item(depth + 1)); return out;
        case 5: if (n > bytes.length) throw new Refused("not_cose"); out = new Map(); for (i = 0; i < n; i++) { var k = item(depth + 1); out.set(k, item(depth + 1)); } return out;
        case 6: return {tag: n, value: item(depth + 1)};
        default:
          if ((first & 31) === 20) return false;
          if ((first & 31) === 21) return true;
          if ((first & 31) === 22) return null;
          throw new Refused("not_cose");
      }
    }
    var value;
    try { value = item(0); } catch (e) { throw e instanceof Refused ? e : new Refused("not_cose"); }
    if (pos !== bytes.length) throw new Refused("not_cose");
    return value;
  }

  function head(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    if (n < 65536) return [(major << 5) | 25, n >> 8, n & 255];
    return [(major << 5) | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
  }

  function sigStructure(protectedBytes, payload) {
    var context = new TextEncoder().encode("Signature1"), parts = [[0x84], head(3, context.length), context,
      head(2, protectedBytes.length), protectedBytes, [0x40], head(2, payload.length), payload];
    var total = parts.reduce(function (s, p) { return s + p.length; }, 0), out = new Uint8Array(total), at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  function b64url(bytes) {
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64url(text) {
    var s = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(s, function (c) { return c.charCodeAt(0); });
  }
  function hex(bytes) { return Array.from(bytes, function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }
  function uuid(bytes) {
    var h = hex(bytes);
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join("-");
  }

  var ALGS = {
    "-7": {imp: {name: "ECDSA", namedCurve: "P-256"}, ver: {name: "ECDSA", hash: "SHA-256"}},
    "-257": {imp: {name: "RSASSA-PKCS1-v1_5", hash: "SHA-256"}, ver: {name: "RSASSA-PKCS1-v1_5"}},
    "-37": {imp: {name: "RSA-PSS", hash: "SHA-256"}, ver: {name: "RSA-PSS", saltLength: 32}}
  };

  async function readTrustList(token, serviceKey) {
    var parts = token.trim().split(".");
    try {
      var header = JSON.parse(new TextDecoder().decode(unb64url(parts[0])));
      if (parts.length !== 3 || header.alg !== "ES256" || header.kid !== serviceKey.kid) throw new Error("key");
      var key = await crypto.subtle.importKey("jwk", {kty: "EC", crv: "P-256", x: serviceKey.x, y: serviceKey.y},
        {name: "ECDSA", namedCurve: "P-256"}, false, ["verify"]);
      var ok = await crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, key, unb64url(parts[2]),
        new TextEncoder().encode(parts[0] + "." + parts[1]));
      if (!ok) throw new Error("signature");
      return JSON.parse(new TextDecoder().decode(unb64url(parts[1])));
    } catch (e) {
      throw new Refused("bad_trust_list");
    }
  }

  function claimsOf(map) {
    var result = map.get(-65537);
    if (!(result instanceof Map) || !(map.get(7) instanceof Uint8Array) || typeof map.get(1) !== "string") throw new Refused("bad_claims");
    var cti = map.get(7), sha = result.get(3);
    return {
      result_id: cti.length === 16 ? uuid(cti) : new TextDecoder().decode(cti),
      agency_code: map.get(1), dossier_code: result.get(1), issued_on: result.get(2) || null,
      signed_at: map.has(6) ? new Date(map.get(6) * 1000).toISOString() : null,
      pdf_sha256: sha instanceof Uint8Array ? hex(sha) : null, holder_name: result.get(4) || null,
      id_last4: result.get(5) || null, procedure_code: result.get(6) || null, title: result.get(7) || null,
      procedure_name: result.get(8) || null
    };
  }

  async function checkSignature(alg, jwk, protectedBytes, payload, signature) {
    var spec = ALGS[String(alg)];
    if (!spec) throw new Refused("bad_algorithm");
    var key = await crypto.subtle.importKey("jwk", jwk, spec.imp, false, ["verify"]);
    var ok = await crypto.subtle.verify(spec.ver, key, signature, sigStructure(protectedBytes, payload));
    if (!ok) throw new Refused("bad_signature");
  }

  /* The verdict on a code's text: {status, code, claims, agency}; never throws for bad input. */
  async function verify(text, trustList) {
    try {
      text = text.trim();
      if (text.length > MAX_TEXT) throw new Refused("too_long");
      if (text.indexOf(PREFIX) !== 0) throw new Refused("wrong_prefix");
      var message = cborDecode(await inflate(base45(text.slice(PREFIX.length))));
      if (message && message.tag !== undefined) {
        if (message.tag !== 18) throw new Refused("not_cose");
        message = message.value;
      }
      if (!Array.isArray(message) || message.length !== 4 || !(message[0] instanceof Uint8Array) ||
          !(message[2] instanceof Uint8Array) || !(message[3] instanceof Uint8Array)) throw new Refused("not_cose");
      var header = cborDecode(message[0]), claims = cborDecode(message[2]);
      if (!(header instanceof Map) || !(claims instanceof Map)) throw new Refused("not_cose");
      var kid = header.get(4);
      if (!(kid instanceof Uint8Array)) throw new Refused("unknown_key");
      var agency = trustList.agencies.find(function (a) { return a.kid === b64url(kid); });
      if (!agency) throw new Refused("unknown_key");
      await checkSignature(header.get(1), agency.jwk, message[0], message[2], message[3]);
      var result = claimsOf(claims);
      if (result.agency_code !== agency.agency_code) throw new Refused("agency_mismatch");
      var annulled = trustList.annulled.indexOf(result.result_id) >= 0;
      return {status: annulled ? "annulled" : "valid", code: annulled ? "annulled" : "valid", claims: result, agency: agency.agency_name};
    } catch (e) {
      var code = e instanceof Refused ? e.code : "not_cose";
      var unreadable = ["wrong_prefix", "not_base45", "too_long", "truncated", "too_large", "not_cose"].indexOf(code) >= 0;
      return {status: unreadable ? "unreadable" : "invalid", code: code, claims: null, agency: null};
    }
  }

  window.OfflineCose = {verify: verify, readTrustList: readTrustList, PREFIX: PREFIX};
})();
