import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { authOptions, jsonLogger, loadEnv, runApp } from '@app/common';
import { GATEWAY_ENV } from './config';
import { AnalyticsGatewayModule } from './gateway.module';
import { configureGateway, createGatewayAdapter, GATEWAY_APP_OPTIONS } from './setup';

runApp('analytics-gateway', async () => {
  const config = loadEnv(GATEWAY_ENV);
  const logger = jsonLogger('analytics-gateway', config.LOG_LEVEL);
  const auth = authOptions(config, logger);
  const app = await NestFactory.create<NestFastifyApplication>(AnalyticsGatewayModule.forRoot(config, auth), createGatewayAdapter(config), { ...GATEWAY_APP_OPTIONS, logger });
  await configureGateway(app, config, auth);
  app.enableShutdownHooks();
  // Fastify listens on localhost only unless told otherwise; the container's port must be reachable.
  await app.listen(config.PORT, '0.0.0.0');
  return app;
});
