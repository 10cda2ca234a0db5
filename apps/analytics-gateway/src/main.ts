import { NestFactory } from '@nestjs/core';
import { jsonLogger, loadEnv, runApp } from '@app/common';
import { GATEWAY_ENV } from './config';
import { AnalyticsGatewayModule } from './gateway.module';
import { configureGateway, GATEWAY_APP_OPTIONS } from './setup';

runApp('analytics-gateway', async () => {
  const config = loadEnv(GATEWAY_ENV);
  const app = await NestFactory.create(AnalyticsGatewayModule.forRoot(config), { ...GATEWAY_APP_OPTIONS, logger: jsonLogger('analytics-gateway', config.LOG_LEVEL) });
  configureGateway(app);
  app.enableShutdownHooks();
  await app.listen(config.PORT);
  return app;
});
