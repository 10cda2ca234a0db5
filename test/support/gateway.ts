import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { authOptions, hashApiKey, loadEnv } from '@app/common';
import { GATEWAY_ENV, GatewayConfig } from '../../apps/analytics-gateway/src/config';
import { AnalyticsGatewayModule } from '../../apps/analytics-gateway/src/gateway.module';
import { configureGateway, createGatewayAdapter, GATEWAY_APP_OPTIONS } from '../../apps/analytics-gateway/src/setup';

/** API keys of the test gateways, by the roles they hold. */
export const KEYS = {
  analyst: 'test-analyst-key-0123456789abcdef',
  operator: 'test-operator-key-0123456789abcdef',
  metrics: 'test-metrics-key-0123456789abcdef',
} as const;

export interface TestGateway {
  app: NestFastifyApplication;
  /** Where it listens (on 127.0.0.1): supertest takes it as is, without listening anew for every request. */
  url: string;
  config: GatewayConfig;
  close(): Promise<void>;
}

/** A gateway as main.ts builds it (in this process, not listening), its keys in a temp file; `env` adds or overrides variables. */
export async function startTestGateway(env: Record<string, string>): Promise<TestGateway> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gateway-keys-'));
  const keysFile = path.join(dir, 'api-keys');
  writeFileSync(keysFile, Object.entries(KEYS).map(([role, key]) => `${role}:${hashApiKey(key)}`).join('\n') + '\n');
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
