import { INestApplication, NestApplicationOptions, ValidationPipe } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** The API only answers GETs: no request body parsers (they cost CPU on every request). */
export const GATEWAY_APP_OPTIONS: NestApplicationOptions = { bodyParser: false };

/**
 * What the app needs beyond its module, shared by main.ts and the e2e tests so they serve the
 * same API: query validation (unknown parameters refused, values converted to the DTO types,
 * one message per bad parameter)
 * and the OpenAPI document at /docs (UI) and /docs-json.
 */
export function configureGateway(app: INestApplication): INestApplication {
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
