/**
 * docker-compose.yml, checked offline: valid against the Compose Specification schema, and
 * consistent with the apps (env vars, health probes, ports, the S3 server holding the tables).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isMap, parseDocument, YAMLMap } from 'yaml';
import { APPS, composeValidator, documents, formatErrors, REPO_ROOT, routesOf, servesGet } from './deploy-helpers';

const text = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
const doc = parseDocument(text);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked field by field below
const compose = doc.toJS() as any;

/** A service's environment as a map of strings (the list form "KEY=value" is accepted too). */
function environmentOf(service: string): Record<string, string> {
  const env = compose.services[service].environment ?? {};
  const entries: Array<[string, unknown]> = Array.isArray(env) ? env.map((e: string) => [e.split('=')[0], e.slice(e.indexOf('=') + 1)]) : Object.entries(env);
  return Object.fromEntries(entries.map(([k, v]) => [k, v === null || v === undefined ? '' : String(v)]));
}

/** "http://127.0.0.1:3003/health" inside a healthcheck's test command. */
function healthcheckUrl(service: string): { port: number; path: string } | undefined {
  const test = compose.services[service].healthcheck?.test;
  const cmd = Array.isArray(test) ? test.join(' ') : String(test ?? '');
  const m = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)(\/[^'"`\s)]*)/.exec(cmd);
  return m ? { port: Number(m[1]), path: m[2] } : undefined;
}

describe('docker-compose.yml', () => {
  it('parses as YAML without errors or warnings', () => {
    expect(doc.errors.map((e) => e.message)).toEqual([]);
    expect(doc.warnings.map((e) => e.message)).toEqual([]);
  });

  it('is valid against the Compose Specification schema (compose-go schema/compose-spec.json)', () => {
    const validate = composeValidator();
    const ok = validate(compose);
    expect(ok ? '' : formatErrors(validate.errors)).toBe('');
  });

  it('runs Kafka in KRaft mode from apache/kafka, single node, with a broker healthcheck', () => {
    const kafka = compose.services.kafka;
    expect(kafka.image).toMatch(/^apache\/kafka:\d+\.\d+\.\d+$/);
    const env = environmentOf('kafka');
    for (const k of [
      'KAFKA_NODE_ID',
      'KAFKA_PROCESS_ROLES',
      'CLUSTER_ID',
      'KAFKA_LISTENERS',
      'KAFKA_ADVERTISED_LISTENERS',
      'KAFKA_CONTROLLER_QUORUM_VOTERS',
      'KAFKA_CONTROLLER_LISTENER_NAMES',
      'KAFKA_LISTENER_SECURITY_PROTOCOL_MAP',
      'KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR',
      'KAFKA_TRANSACTION_STATE_LOG_MIN_ISR',
    ]) {
      expect([k, env[k] !== undefined && env[k] !== '']).toEqual([k, true]);
    }
    expect(env.KAFKA_PROCESS_ROLES.split(',').sort()).toEqual(['broker', 'controller']);
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(new RegExp(`^${env.KAFKA_NODE_ID}@`));
    // CLUSTER_ID is a base64url UUID: 16 bytes.
    expect(Buffer.from(env.CLUSTER_ID, 'base64url')).toHaveLength(16);
    for (const k of Object.keys(env).filter((k) => /REPLICATION_FACTOR$|MIN_ISR$/.test(k))) expect([k, env[k]]).toEqual([k, '1']);
    // Every listener has a protocol, and the controller listener is one of them.
    const protocols = new Set(env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP.split(',').map((p: string) => p.split(':')[0]));
    for (const l of [...env.KAFKA_LISTENERS.split(','), ...env.KAFKA_ADVERTISED_LISTENERS.split(',')]) expect(protocols).toContain(l.split(':')[0]);
    expect(protocols).toContain(env.KAFKA_CONTROLLER_LISTENER_NAMES);
    expect(kafka.healthcheck.test.join(' ')).toContain('/opt/kafka/bin/kafka-broker-api-versions.sh --bootstrap-server localhost:9092');
  });

  for (const app of APPS) {
    describe(app.name, () => {
      const service = () => compose.services[app.name];

      it('is built from the Dockerfile target of the same name', () => {
        expect(service().build).toMatchObject({ context: '.', target: app.name });
        const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
        expect(dockerfile).toMatch(new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${app.name}\\s*$`, 'mi'));
      });

      it('sets exactly the variables the app validates, each documented by its spec description', () => {
        const env = environmentOf(app.name);
        expect(Object.keys(env).sort()).toEqual(Object.keys(app.spec).sort());
        const map = doc.getIn(['services', app.name, 'environment'], true);
        expect(isMap(map)).toBe(true);
        const undocumented: string[] = [];
        (map as YAMLMap).items.forEach((pair, i) => {
          const key = String((pair.key as { value: unknown }).value);
          const comment = i === 0 ? (map as YAMLMap).commentBefore ?? (pair.key as { commentBefore?: string }).commentBefore : (pair.key as { commentBefore?: string }).commentBefore;
          if (app.spec[key] && !documents(comment, app.spec[key].description)) undocumented.push(`${key}: expected a comment above it starting with "# ${app.spec[key].description}"`);
        });
        expect(undocumented).toEqual([]);
      });

      it("sets values the app's own start-up validation accepts", () => {
        expect(() => app.load(environmentOf(app.name))).not.toThrow();
      });

      it('health-checks a GET route the app serves, on its PORT, and publishes that port', () => {
        const env = environmentOf(app.name);
        const routes = routesOf(app, app.load(env));
        const probe = healthcheckUrl(app.name);
        expect(probe).toEqual({ port: Number(env.PORT), path: '/health' });
        expect(servesGet(routes, probe!.path)).toBe(true);
        const published = (service().ports ?? []).map((p: string | { target: number }) => (typeof p === 'string' ? Number(p.split(':').pop()) : p.target));
        expect(published).toContain(Number(env.PORT));
      });

      it('starts after the services it needs are healthy', () => {
        const deps = service().depends_on ?? {};
        const healthy = Object.entries(deps).filter(([, d]) => (d as { condition?: string }).condition === 'service_healthy');
        expect(healthy.length).toBeGreaterThan(0);
        for (const [dep] of healthy) expect([dep, Boolean(compose.services[dep]?.healthcheck)]).toEqual([dep, true]);
        if (app.spec.KAFKA_BROKERS) expect(Object.keys(deps)).toContain('kafka');
      });

      if (app.spec.KAFKA_BROKERS) {
        it('reaches Kafka on an advertised listener of the kafka service', () => {
          const advertised = environmentOf('kafka').KAFKA_ADVERTISED_LISTENERS.split(',').map((l: string) => l.replace(/^[A-Z_]+:\/\//, ''));
          for (const broker of environmentOf(app.name).KAFKA_BROKERS.split(',')) expect(advertised).toContain(broker.trim());
        });
      }

      if (app.spec.API_KEYS_FILE) {
        it('checks API keys, read from the api-keys secret', () => {
          const env = environmentOf(app.name);
          expect(env.AUTH_DISABLED).toBe('false');
          expect(env.API_KEYS_FILE).toBe('/run/secrets/api-keys');
          expect(service().secrets).toContain('api-keys');
          expect(readFileSync(path.join(REPO_ROOT, compose.secrets['api-keys'].file), 'utf8')).toMatch(/^[a-z,]*operator[a-z,]*:[0-9a-f]{64}$/m);
        });
      }

      if (app.spec.LAKEHOUSE_ROOT) {
        it('keeps the Delta tables in a bucket of the s3 service, after it is healthy, with its key from a secret file', () => {
          const env = environmentOf(app.name);
          expect(env.LAKEHOUSE_ROOT).toMatch(/^s3:\/\/[a-z0-9.-]+\/./);
          const endpoint = new URL(env.AWS_ENDPOINT_URL_S3);
          expect(compose.services[endpoint.hostname]).toBeDefined();
          expect(compose.services[endpoint.hostname].healthcheck).toBeDefined();
          expect(service().depends_on?.[endpoint.hostname]?.condition).toBe('service_healthy');
          expect(env.AWS_S3_FORCE_PATH_STYLE).toBe('true');
          // The bucket the server creates at start is the one LAKEHOUSE_ROOT names.
          expect(compose.services[endpoint.hostname].command).toContain(`-bucket=${new URL(env.LAKEHOUSE_ROOT).hostname}`);
          const secret = path.basename(env.AWS_SHARED_CREDENTIALS_FILE);
          expect(env.AWS_SHARED_CREDENTIALS_FILE).toBe(`/run/secrets/${secret}`);
          expect(service().secrets).toContain(secret);
          expect(readFileSync(path.join(REPO_ROOT, compose.secrets[secret].file), 'utf8')).toMatch(/aws_access_key_id = \S+/);
          // Stateless: no volume is mounted.
          expect(service().volumes).toBeUndefined();
        });
      }

      if (app.spec.KAFKA_SECURITY_PROTOCOL) {
        it('carries the Kafka security settings (PLAINTEXT here, no secret file needed)', () => {
          const env = environmentOf(app.name);
          expect(env.KAFKA_SECURITY_PROTOCOL).toBe('PLAINTEXT');
          for (const file of ['KAFKA_SASL_PASSWORD_FILE', 'KAFKA_SSL_CA_FILE', 'KAFKA_SSL_CERT_FILE', 'KAFKA_SSL_KEY_FILE']) expect([file, env[file]]).toEqual([file, '']);
        });
      }
    });
  }
});
