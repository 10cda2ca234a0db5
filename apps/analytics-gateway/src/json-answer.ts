import { applyDecorators, Get, Header } from '@nestjs/common';

/**
 * The JSON text of each answer, made once: the analytics service hands out the same object for
 * every cache hit (and never modifies it), so the text is keyed by that object and goes away
 * with it when the answer leaves the service's cache.
 */
const texts = new WeakMap<object, string>();

export function jsonText(answer: object): string {
  let text = texts.get(answer);
  if (text === undefined) {
    text = JSON.stringify(answer);
    texts.set(answer, text);
  }
  return text;
}

/** A GET route answering pre-serialised JSON text (see jsonText) with the JSON content type. */
export function JsonGet(path: string): MethodDecorator {
  return applyDecorators(Get(path), Header('Content-Type', 'application/json; charset=utf-8'));
}
