import { Answer } from '@app/analytics';
import { matchesEtag, precompressedBody } from '@app/common';

/** The parts of Fastify's reply this uses. */
export interface AnswerReply {
  header(k: string, v: string): unknown;
  getHeader(k: string): unknown;
}

export interface AnswerRequest {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Prepares the reply for an analytics Answer and returns its body: the JSON text (made once per
 * cached answer) with the JSON content type, its entity tag (ETag: a 304 answers an If-None-Match
 * that holds it, see configureHttp) and Cache-Control: an answer about a fixed past version
 * (asOfVersion) never changes; one about the latest may change with the next commit, so a client
 * revalidates it (cheaply, by its tag). With `keepCompressed`, the body is the answer's
 * compressed bytes, made once per answer and coding (precompressedBody); without, @fastify/compress
 * compresses the text on every request. Done in the handler rather than an interceptor: a Nest
 * interceptor costs more per request than the rest of a cached answer.
 */
export function answerBody(request: AnswerRequest, reply: AnswerReply, answer: Answer<unknown>, asOfVersion: number | undefined, keepCompressed: boolean): string | Buffer {
  reply.header('Content-Type', 'application/json; charset=utf-8');
  reply.header('ETag', answer.etag);
  reply.header('Cache-Control', asOfVersion !== undefined ? 'private, max-age=86400, immutable' : 'private, no-cache');
  // A 304 (configureHttp) sends no body, and so no Content-Encoding: nothing to compress.
  const notModified = typeof request.headers['if-none-match'] === 'string' && matchesEtag(request.headers['if-none-match'], answer.etag);
  return keepCompressed && !notModified ? precompressedBody(request, reply, answer.json, (coding, compress) => answer.encoded(coding, compress)) : answer.json;
}
