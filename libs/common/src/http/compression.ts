import { brotliCompressSync, constants as zlib, deflateSync, gzipSync } from 'node:zlib';
import { negotiate } from '@fastify/accept-negotiator';

/** The content codings offered, in order of preference. */
export const CONTENT_CODINGS = ['br', 'gzip', 'deflate'] as const;
export type ContentCoding = (typeof CONTENT_CODINGS)[number];

/**
 * How every app compresses (the @fastify/compress options of configureHttp), shared with the
 * bodies an app keeps compressed itself (precompressedBody), so both give the same bytes.
 */
export const COMPRESSION_OPTIONS = {
  threshold: 1024,
  encodings: [...CONTENT_CODINGS],
  // Answers are small and sent often: a low brotli quality costs a fraction of the default's CPU.
  brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } },
};

const COMPRESSORS: Record<ContentCoding, (body: Buffer) => Buffer> = {
  br: (body) => brotliCompressSync(body, COMPRESSION_OPTIONS.brotliOptions),
  gzip: (body) => gzipSync(body),
  deflate: (body) => deflateSync(body),
};

/** The codings @fastify/compress negotiates with, `identity` last; `*` and `x-gzip` are read as gzip, as it does. */
const NEGOTIATED = [...CONTENT_CODINGS, 'identity'];
const GZIP_ALIASES = /\*|x-gzip/gu;

/** The coding @fastify/compress would choose for a request (its negotiation), or undefined for none. */
export function negotiatedCoding(headers: Record<string, string | string[] | undefined>): ContentCoding | undefined {
  const accepted = headers['accept-encoding'];
  if (typeof accepted !== 'string' || headers['x-no-compression'] !== undefined) return undefined;
  const coding = negotiate(accepted.toLowerCase().replace(GZIP_ALIASES, 'gzip'), NEGOTIATED);
  return coding === null || coding === 'identity' ? undefined : (coding as ContentCoding);
}

/** The text's UTF-8 size reaches the threshold; a text of as many characters does without counting (a character is 1 byte or more). */
function atLeastThreshold(text: string): boolean {
  return text.length >= COMPRESSION_OPTIONS.threshold || Buffer.byteLength(text) >= COMPRESSION_OPTIONS.threshold;
}

/** The parts of Fastify's reply and request precompressedBody uses. */
interface Reply {
  header(k: string, v: string): unknown;
  getHeader(k: string): unknown;
}

/**
 * The body to send for a JSON text that its owner keeps compressed (a cached answer): what
 * @fastify/compress would send for it, same coding, bytes and headers (Content-Encoding, Vary),
 * without compressing it again on every request. `encoded` returns the kept bytes of a coding,
 * compressing them with `compress` the first time. The plugin leaves a body that already has a
 * Content-Encoding as it is.
 */
export function precompressedBody(
  request: { headers: Record<string, string | string[] | undefined> },
  reply: Reply,
  json: string,
  encoded: (coding: ContentCoding, compress: (json: string) => Buffer) => Buffer,
): string | Buffer {
  const coding = negotiatedCoding(request.headers);
  if (coding === undefined || !atLeastThreshold(json)) return json;
  const body = encoded(coding, (text) => COMPRESSORS[coding](Buffer.from(text)));
  const vary = reply.getHeader('vary');
  if (vary === undefined) reply.header('Vary', 'accept-encoding');
  else if (!String(vary).includes('accept-encoding')) reply.header('Vary', `${String(vary)}, accept-encoding`);
  reply.header('Content-Encoding', coding);
  return body;
}
