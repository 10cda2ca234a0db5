import { NestFactory } from '@nestjs/core';
import { jsonLogger, loadEnv, runApp } from '@app/common';
import { PRODUCER_ENV } from './config';
import { ProducerModule } from './producer.module';

runApp('producer', async () => {
  const config = loadEnv(PRODUCER_ENV);
  const app = await NestFactory.create(ProducerModule.forRoot(config), { logger: jsonLogger('producer', config.LOG_LEVEL), abortOnError: false });
  app.enableShutdownHooks();
  await app.listen(config.PORT);
  return app;
});
