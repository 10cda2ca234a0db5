import { NestApplicationOptions } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SCHEME, AuthOptions, BEARER_SCHEME, configureHttp, createHttpAdapter, StrictValidationPipe } from '@app/common';
import { AnswerFastPath } from './answer-fast-path';
import { GatewayConfig } from './config';
import { HttpMetrics } from './http-metrics';

/** The API only answers GETs: no request body parsers (they cost CPU on every request). */
export const GATEWAY_APP_OPTIONS: NestApplicationOptions = { bodyParser: false };

/**
 * The HTTP server: Fastify, whose per-request cost is a fraction of Express's (the gateway's
 * cached answers are small, so that overhead is most of a request's CPU).
 */
export function createGatewayAdapter(config: Pick<GatewayConfig, 'TRUST_PROXY'>): FastifyAdapter {
  return createHttpAdapter(config);
}

/**
 * What the app needs beyond its module, shared by main.ts, the e2e tests and the benchmark so
 * they serve the same API: the HTTP conventions (request ids, access log, 405, 304, security
 * headers, CORS, compression, rate limits), request metrics (a Fastify hook), the fast path of
 * answers to URLs validated before (a Fastify hook, with HTTP_FAST_PATH), query validation
 * (unknown parameters refused, values converted to the DTO types, one message per bad parameter)
 * and the OpenAPI document at /docs (UI) and /docs-json, whose Authorize button takes an API key.
 * Call it before app.init()/app.listen().
 */
export async function configureGateway(app: NestFastifyApplication, config: GatewayConfig, auth: AuthOptions): Promise<NestFastifyApplication> {
  await configureHttp(app, config, auth);
  app.get(HttpMetrics).register(app.getHttpAdapter().getInstance());
  app.get(AnswerFastPath).register(app.getHttpAdapter().getInstance());
  app.useGlobalPipes(new StrictValidationPipe());
  SwaggerModule.setup(
    'docs',
    app,
    () =>
      SwaggerModule.createDocument(
        app,
        new DocumentBuilder()
          .setTitle('Lakehouse analytics gateway')
          .setDescription(
            'Gold-layer questions over the silver Delta tables (ventes_aggreges, ventes_par_pays, ventes_par_segment). ' +
              'Every /analytics endpoint needs an API key with the analyst role: `Authorization: Bearer <key>` (or `X-API-Key: <key>`); use Authorize. ' +
              'Every endpoint takes asOfVersion or asOfTimestamp (at most one of the two) to read an older version (time travel). ' +
              'Lists take limit and offset and say their size in page.total. Money is in EUR (currency), rounded to cents. ' +
              'Answers carry an ETag: send it back in If-None-Match to get a 304 while the data has not changed.',
          )
          .setVersion('1.0')
          .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key' }, BEARER_SCHEME)
          .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key (the same as the bearer one)' }, API_KEY_SCHEME)
          .build(),
      ),
    { swaggerOptions: { persistAuthorization: true } },
  );
  return app;
}
