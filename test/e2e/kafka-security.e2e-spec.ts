/**
 * The producer and the ingestor on a secured broker (scripts/kafka with KAFKA_SECURE=1: SASL_SSL
 * with SCRAM-SHA-512 and PLAIN users, mutual TLS, ACLs on), port KAFKA_SECURE_PORT (default
 * 9252, and the three ports after it). Exactly once as on PLAINTEXT; and a wrong password, an
 * untrusted broker certificate, a topic without an ACL and a consumer group without one each stop
 * the app at start-up with the setting named.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { AppProcess, waitFor } from '../support/app-process';
import { bronzeIdCounts } from '../support/sales';

jest.setTimeout(300_000);

interface KafkaScript {
  start(opts: object): Promise<{ brokers: string }>;
  grant(opts: object, access: { topic: string; group: string }): Promise<void>;
  secretsDir(opts: object): string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkaScript = require(path.resolve(__dirname, '../../scripts/kafka/kafka.js')) as KafkaScript;

const PORT = Number(process.env.KAFKA_SECURE_PORT || 9252);
const brokerOptions = { port: PORT, secure: true, log: (m: string) => process.stderr.write(`[kafka] ${m}\n`) };
const SASL_SSL = `127.0.0.1:${PORT}`;
const MTLS = `127.0.0.1:${PORT + 2}`;

let secrets: string;
const topic = `secure-${randomUUID().slice(0, 8)}`;
const group = `${topic}-bronze`;
const running: AppProcess[] = [];

beforeAll(async () => {
  await kafkaScript.start(brokerOptions);
  await kafkaScript.grant(brokerOptions, { topic, group });
  secrets = kafkaScript.secretsDir(brokerOptions);
});

afterAll(async () => {
  await Promise.all(running.splice(0).map((a) => a.stop('SIGTERM')));
});

function scram(user: 'producer' | 'ingestor', mechanism = 'SCRAM-SHA-512'): Record<string, string> {
  return {
    KAFKA_BROKERS: SASL_SSL,
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD_FILE: path.join(secrets, `${user}.password`),
    KAFKA_SSL_CA_FILE: path.join(secrets, 'ca.pem'),
  };
}

function mutualTls(user: 'producer' | 'ingestor'): Record<string, string> {
  return {
    KAFKA_BROKERS: MTLS,
    KAFKA_SECURITY_PROTOCOL: 'SSL',
    KAFKA_SSL_CA_FILE: path.join(secrets, 'ca.pem'),
    KAFKA_SSL_CERT_FILE: path.join(secrets, `${user}.pem`),
    KAFKA_SSL_KEY_FILE: path.join(secrets, `${user}.key`),
  };
}

async function start(app: string, env: Record<string, string>): Promise<AppProcess> {
  const p = await AppProcess.start(app, env);
  running.push(p);
  return p;
}

async function producedAll(producer: AppProcess, total: number): Promise<void> {
  await producer.waitHealthy();
  await waitFor('the producer to finish', async () => {
    const s = (await producer.get('/producer/stats')).body as { running: boolean; acked: number; failed: number };
    if (s.failed > 0) throw new Error(`producer failures: ${JSON.stringify(s)}`);
    return !s.running && s.acked === total ? true : undefined;
  });
  await producer.stop('SIGTERM');
}

/** Starts an app that must refuse to start; returns its exit code and output. */
async function refused(app: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const p = await start(app, env);
  const code = await p.waitExit();
  return { code, output: p.logs.join('') };
}

it('SCRAM-SHA-512, PLAIN and mutual TLS: the producer publishes, the ingestor lands every sale exactly once', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lakehouse-secure-'));
  const base = { KAFKA_TOPIC: topic, PRODUCER_RATE: '500', PRODUCER_CLIENTS: '10', PRODUCER_PRODUCTS: '5' };
  // The ingestor reads with SCRAM, through its Kafka transport and Fetch decoder.
  const ingestor = await start('bronze-ingestor', {
    ...scram('ingestor'),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: group,
    LAKEHOUSE_ROOT: root,
    FLUSH_MAX_LATENCY: '200ms',
  });
  await ingestor.waitHealthy();
  await producedAll(
    await start('producer', { ...scram('producer', 'PLAIN'), ...base, PRODUCER_TOTAL: '200', PRODUCER_INSTANCE_ID: '1' }),
    200,
  );
  await producedAll(await start('producer', { ...mutualTls('producer'), ...base, PRODUCER_TOTAL: '100', PRODUCER_INSTANCE_ID: '2' }), 100);
  const counts = await waitFor('bronze to hold 300 sales', async () => {
    const c = await bronzeIdCounts(root);
    return [...c.values()].reduce((a, b) => a + b, 0) >= 300 ? c : undefined;
  });
  expect(counts.size).toBe(300);
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
});

it('a wrong password stops the app naming KAFKA_SASL_PASSWORD_FILE', async () => {
  const wrong = path.join(mkdtempSync(path.join(os.tmpdir(), 'kafka-secret-')), 'password');
  writeFileSync(wrong, 'not-the-password\n');
  const { code, output } = await refused('producer', { ...scram('producer'), KAFKA_SASL_PASSWORD_FILE: wrong, KAFKA_TOPIC: topic });
  expect(code).toBe(78);
  expect(output).toMatch(/KAFKA_SASL_PASSWORD_FILE: the brokers refused the credentials of KAFKA_SASL_USERNAME=\\?"producer/);
});

it('a broker certificate the CA file does not trust stops the app naming KAFKA_SSL_CA_FILE', async () => {
  const { code, output } = await refused('bronze-ingestor', {
    ...scram('ingestor'),
    KAFKA_SSL_CA_FILE: path.join(secrets, 'untrusted-ca.pem'),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: group,
    LAKEHOUSE_ROOT: mkdtempSync(path.join(os.tmpdir(), 'lakehouse-secure-')),
  });
  expect(code).toBe(78);
  expect(output).toMatch(/KAFKA_SSL_CA_FILE: the certificate of broker 127\.0\.0\.1:\d+ is not trusted/);
});

it('a topic without an ACL for the user stops the app naming KAFKA_TOPIC', async () => {
  const forbidden = `${topic}-forbidden`;
  const { code, output } = await refused('bronze-ingestor', {
    ...scram('ingestor'),
    KAFKA_TOPIC: forbidden,
    KAFKA_GROUP_ID: group,
    LAKEHOUSE_ROOT: mkdtempSync(path.join(os.tmpdir(), 'lakehouse-secure-')),
  });
  expect(code).toBe(78);
  expect(output).toMatch(new RegExp(`KAFKA_TOPIC: user \\\\?"ingestor\\\\?" is not allowed to use topic \\\\?"${forbidden}`));
});

it('a consumer group without an ACL for the user stops the ingestor naming KAFKA_GROUP_ID', async () => {
  const forbidden = `${group}-forbidden`;
  const { code, output } = await refused('bronze-ingestor', {
    ...scram('ingestor'),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: forbidden,
    LAKEHOUSE_ROOT: mkdtempSync(path.join(os.tmpdir(), 'lakehouse-secure-')),
  });
  expect(code).toBe(78);
  expect(output).toMatch(new RegExp(`KAFKA_GROUP_ID: user \\\\?"ingestor\\\\?" is not allowed to use consumer group \\\\?"${forbidden}`));
});
