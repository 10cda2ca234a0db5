import { NestFactory } from '@nestjs/core';
import { authOptions, jsonLogger, loadEnv, runApp } from '@app/common';
import { configureDuckDB } from '@app/delta';
import { BatchKafkaServer } from '@app/kafka';
import { BronzeModule } from './bronze.module';
import { BRONZE_ENV } from './config';

runApp('bronze-ingestor', async () => {
  const config = loadEnv(BRONZE_ENV);
  const logger = jsonLogger('bronze-ingestor', config.LOG_LEVEL);
  const auth = authOptions(config, logger);
  configureDuckDB({ threads: config.DUCKDB_THREADS });
  const app = await NestFactory.create(BronzeModule.forRoot(config, auth), { logger, abortOnError: false });
  app.connectMicroservice({ strategy: app.get(BatchKafkaServer) }, { inheritAppConfig: true });
  app.enableShutdownHooks();
  // init() first: the topic check and the Delta tables are opened before the consumer joins.
  await app.init();
  await app.startAllMicroservices();
  await app.listen(config.PORT);
  return app;
});
