import { NestApplicationOptions, ValidationPipe } from '@nestjs/common';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { HttpMetrics } from './http-metrics';

/** The API only answers GETs: no request body parsers (they cost CPU on every request). */
export const GATEWAY_APP_OPTIONS: NestApplicationOptions = { bodyParser: false };

/**
 * The HTTP server: Fastify, whose per-request cost is a fraction of Express's (the gateway's
 * cached answers are small, so that overhead is most of a request's CPU).
 */
export function createGatewayAdapter(): FastifyAdapter {
  return new FastifyAdapter();
}

/**
 * What the app needs beyond its module, shared by main.ts, the e2e tests and the benchmark so
 * they serve the same API: request metrics (a Fastify hook), query validation (unknown parameters
 * refused, values converted to the DTO types, one message per bad parameter) and the OpenAPI
 * document at /docs (UI) and /docs-json. Call it before app.init()/app.listen().
 */
export function configureGateway(app: NestFastifyApplication): NestFastifyApplication {
  app.get(HttpMetrics).register(app.getHttpAdapter().getInstance());
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, stopAtFirstError: true }));
  SwaggerModule.setup('docs', app, () =>
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Lakehouse analytics gateway')
        .setDescription(
          'Gold-layer questions over the silver Delta tables (ventes_aggreges, ventes_par_pays, ventes_par_segment). ' +
            'Every endpoint takes asOfVersion or asOfTimestamp to read an older version (time travel). Money is in EUR, rounded to cents.',
        )
        .setVersion('1.0')
        .build(),
    ),
  );
  return app;
}
