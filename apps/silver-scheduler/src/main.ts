import { NestFactory } from '@nestjs/core';
import { jsonLogger, runApp } from '@app/common';
import { loadSilverConfig } from './config';
import { SilverModule } from './silver.module';

runApp('silver-scheduler', async () => {
  const config = loadSilverConfig();
  const app = await NestFactory.create(SilverModule.forRoot(config), { logger: jsonLogger('silver-scheduler', config.LOG_LEVEL) });
  app.enableShutdownHooks();
  await app.listen(config.PORT);
  return app;
});
