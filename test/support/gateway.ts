import { rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { authOptions, loadEnv } from '@app/common';
import { GATEWAY_ENV, GatewayConfig } from '../../apps/analytics-gateway/src/config';
import { AnalyticsGatewayModule } from '../../apps/analytics-gateway/src/gateway.module';
import { configureGateway, createGatewayAdapter, GATEWAY_APP_OPTIONS } from '../../apps/analytics-gateway/src/setup';
import { writeTestKeysFile } from './api-keys';

export { KEYS } from './api-keys';

export interface TestGateway {
  app: NestFastifyApplication;
  /** Where it listens (on 127.0.0.1): supertest takes it as is, without listening anew for every request. */
  url: string;
  config: GatewayConfig;
  close(): Promise<void>;
}

/** A gateway as main.ts builds it (in this process, not listening), its keys in a temp file; `env` adds or overrides variables. */
export async function startTestGateway(env: Record<string, string>): Promise<TestGateway> {
  const { dir, file: keysFile } = writeTestKeysFile();
  const config = loadEnv(GATEWAY_ENV, { LOG_LEVEL: 'error', ACCESS_LOG: 'false', API_KEYS_FILE: keysFile, ...env });
  const auth = authOptions(config);
  const moduleRef = await Test.createTestingModule({ imports: [AnalyticsGatewayModule.forRoot(config, auth)] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createGatewayAdapter(config), { ...GATEWAY_APP_OPTIONS, logger: false });
  await configureGateway(app, config, auth);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    config,
    close: async () => {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
