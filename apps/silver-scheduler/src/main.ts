import { NestFactory } from '@nestjs/core';
import { authOptions, jsonLogger, runApp } from '@app/common';
import { loadSilverConfig } from './config';
import { SilverModule } from './silver.module';

runApp('silver-scheduler', async () => {
  const config = loadSilverConfig();
  const logger = jsonLogger('silver-scheduler', config.LOG_LEVEL);
  const app = await NestFactory.create(SilverModule.forRoot(config, authOptions(config, logger)), { logger });
  app.enableShutdownHooks();
  await app.listen(config.PORT);
  return app;
});
