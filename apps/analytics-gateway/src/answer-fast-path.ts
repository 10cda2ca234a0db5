import { Inject, Injectable } from '@nestjs/common';
// fastify is @nestjs/platform-fastify's dependency: only its types are used here.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { Answer, LruCache } from '@app/analytics';
import { APP_CONFIG, AUTH_OPTIONS, AuthOptions, MetricsRegistry, requestIdentity, Role } from '@app/common';
import { GatewayConfig } from './config';
import { answerBody, AnswerReply, AnswerRequest } from './json-answer';

/** How to answer a URL again: the handler's call with the parameters Nest validated, and who may ask. */
interface Recipe {
  role: Role;
  asOfVersion: number | undefined;
  compute: () => Promise<Answer<unknown>>;
}

/**
 * Bytes of URLs (and their recipes) remembered. Only URLs answered 200 are remembered, but their
 * number is the client's choice (any client id, any date): the bound keeps them to a few MiB.
 */
const RECIPES_MAX_BYTES = 8 * 1024 * 1024;
/** A recipe's bytes besides its URL: the closure, its parameters and the cache entry. */
const RECIPE_OVERHEAD_BYTES = 512;

/**
 * Answers of the analytics routes, through Nest (the reference path) or, with HTTP_FAST_PATH,
 * from a Fastify preHandler hook for URLs Nest has validated and answered before.
 *
 * Every request first goes through Fastify's own hooks on either path (request id, 405, rate
 * limits, CORS, security headers), and after the answer through its onSend and onResponse hooks
 * (304 on If-None-Match, metrics, access log). Between them, Nest adds a router, a guard (API
 * keys) and validation pipes (class-validator) that cost more than the rest of a cached answer.
 * Validation is a function of the URL alone, so its outcome for a URL is remembered: the handler
 * records the call it made with the validated parameters (`answer`), and the hook makes that
 * call again for the same URL, after the same key and role check as the guard. Anything else
 * (a URL not seen, no valid key, a role missing, a call that fails) goes on to Nest, which
 * answers and maps errors as always. The call itself still reads the latest table version and
 * the answer cache, so an answer is never staler on this path.
 */
@Injectable()
export class AnswerFastPath {
  private readonly recipes = new LruCache<string, Recipe>(RECIPES_MAX_BYTES);
  private readonly enabled: boolean;
  private readonly served: Counter<'result'>;

  constructor(@Inject(APP_CONFIG) config: GatewayConfig, @Inject(AUTH_OPTIONS) private readonly auth: AuthOptions, metrics: MetricsRegistry) {
    this.enabled = config.HTTP_FAST_PATH;
    this.served = new Counter({
      name: 'gateway_fast_path_answers_total',
      help: 'Analytics requests of a URL answered before, by result: served from the fast path, or passed on to Nest after the call failed (Nest answers the error)',
      labelNames: ['result'],
      registers: [metrics],
    });
  }

  /**
   * The body of a handler's answer (answerBody). `compute` makes the handler's call with the
   * parameters Nest validated; it is remembered for the request's URL once it has answered.
   */
  async answer(request: AnswerRequest & { method: string; url: string }, reply: AnswerReply, role: Role, asOfVersion: number | undefined, compute: () => Promise<Answer<unknown>>): Promise<string | Buffer> {
    const answer = await compute();
    const get = request.method === 'GET';
    if (this.enabled && get) this.recipes.set(request.url, { role, asOfVersion, compute }, 2 * request.url.length + RECIPE_OVERHEAD_BYTES);
    // A HEAD is answered as @fastify/compress answers it: the headers of the uncompressed body.
    return answerBody(request, reply, answer, asOfVersion, this.enabled && get);
  }

  /** Adds the hook; call before the Fastify instance is ready (before app.init()/listen()). */
  register(fastify: FastifyInstance): void {
    if (!this.enabled) return;
    fastify.addHook('preHandler', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const recipe = request.method === 'GET' ? this.recipes.get(request.url) : undefined;
      if (!recipe || !this.authorized(request, recipe.role)) return done();
      // A failure is not dropped: Nest makes the same call, and maps and logs its error as on any request.
      const passOn = () => {
        this.served.inc({ result: 'passed-on' });
        done();
      };
      recipe.compute().then((answer) => {
        let body: string | Buffer;
        try {
          body = answerBody(request, reply, answer, recipe.asOfVersion, true);
        } catch {
          return passOn();
        }
        this.served.inc({ result: 'served' });
        void reply.send(body);
      }, passOn);
    });
  }

  /** The guard's decision (ApiKeyGuard) when it lets the request through; a refusal is left to the guard. */
  private authorized(request: FastifyRequest, role: Role): boolean {
    if (this.auth.disabled || this.auth.openRoles.includes(role)) return true;
    return requestIdentity(this.auth, request.raw as unknown as { headers: Record<string, string | string[] | undefined> })?.roles.has(role) === true;
  }
}
