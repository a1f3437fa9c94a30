// A minimal S3 client for the end-to-end run: path-style requests to the gateway, signed with
// AWS Signature Version 4 (no SDK to install). Enough to create a bucket and put objects with
// tags, which the browser cannot do: the dashboard uploads only into the default bucket.
import { createHash, createHmac } from 'node:crypto';

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it; `/` kept in paths. */
function encode(text, keepSlash = false) {
  const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
}

/**
 * Returns `request(method, bucket, key, { body, headers, query })` → { status, text } for the
 * gateway at `endpoint` with these credentials.
 */
export function s3Client({ endpoint, region, accessKeyId, secretAccessKey }) {
  const base = new URL(endpoint);
  return async function request(method, bucket, key = '', { body = Buffer.alloc(0), headers = {}, query = {} } = {}) {
    const payload = Buffer.isBuffer(body) ? body : Buffer.from(body);
    const path = `/${encode(bucket)}${key ? `/${encode(key, true)}` : ''}`;
    const queryString = Object.keys(query)
      .sort()
      .map((k) => `${encode(k)}=${encode(String(query[k]))}`)
      .join('&');
    const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const day = now.slice(0, 8);
    const signed = {
      host: base.host,
      'x-amz-content-sha256': sha256(payload),
      'x-amz-date': now,
      ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)])),
    };
    const names = Object.keys(signed).sort();
    const canonical = [
      method,
      path,
      queryString,
      ...names.map((n) => `${n}:${signed[n].trim()}`),
      '',
      names.join(';'),
      signed['x-amz-content-sha256'],
    ].join('\n');
    const scope = `${day}/${region}/s3/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', now, scope, sha256(canonical)].join('\n');
    let signingKey = hmac(`AWS4${secretAccessKey}`, day);
    for (const part of [region, 's3', 'aws4_request']) signingKey = hmac(signingKey, part);
    const signature = createHmac('sha256', signingKey).update(toSign).digest('hex');
    // fetch sends the Host header itself (the same host:port).
    const sent = Object.fromEntries(Object.entries(signed).filter(([name]) => name !== 'host'));
    const response = await fetch(`${base.origin}${path}${queryString ? `?${queryString}` : ''}`, {
      method,
      headers: {
        ...sent,
        Authorization: `AWS4-HMAC-SHA256 Credential=${accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
      },
      body: method === 'GET' || method === 'HEAD' ? undefined : payload,
    });
    return { status: response.status, text: await response.text(), headers: response.headers };
  };
}
