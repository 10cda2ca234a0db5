import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, KAFKA_SECURITY_ENV, loadEnv } from '@app/common';
import { loadKafkaSecurity } from './kafka-security';

const dir = mkdtempSync(path.join(os.tmpdir(), 'kafka-security-'));
const file = (name: string, text: string) => {
  writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
};
for (const name of ['a', 'b']) {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
    ],
    { cwd: dir, stdio: 'ignore' },
  );
}
const password = file('password', 'secret\n');

function problems(env: Record<string, string>): string[] {
  try {
    loadKafkaSecurity(loadEnv(KAFKA_SECURITY_ENV, env));
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('loadKafkaSecurity', () => {
  it('PLAINTEXT by default, and refuses security settings that would be ignored', () => {
    expect(loadKafkaSecurity(loadEnv(KAFKA_SECURITY_ENV, {}))).toEqual({ settings: expect.any(Object) });
    expect(problems({ KAFKA_SASL_USERNAME: 'u' })).toEqual([
      'KAFKA_SASL_USERNAME: set, but KAFKA_SECURITY_PROTOCOL is PLAINTEXT (expected SSL or SASL_SSL)',
    ]);
  });

  it('SASL_SSL: SCRAM or PLAIN credentials, the password read from its file without the newline, the CA file', () => {
    const env = {
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD_FILE: password,
      KAFKA_SSL_CA_FILE: path.join(dir, 'a.pem'),
    };
    const security = loadKafkaSecurity(loadEnv(KAFKA_SECURITY_ENV, env));
    expect(security.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'secret' });
    expect(security.ssl).toMatchObject({ rejectUnauthorized: true, ca: expect.stringContaining('BEGIN CERTIFICATE') });
    expect(loadKafkaSecurity(loadEnv(KAFKA_SECURITY_ENV, { ...env, KAFKA_SASL_MECHANISM: 'PLAIN' })).sasl).toMatchObject({
      mechanism: 'plain',
    });
  });

  it('names every missing or bad setting', () => {
    expect(problems({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' })).toEqual([
      'KAFKA_SASL_USERNAME: required with KAFKA_SECURITY_PROTOCOL=SASL_SSL',
      'KAFKA_SASL_PASSWORD_FILE: required with KAFKA_SECURITY_PROTOCOL=SASL_SSL',
    ]);
    expect(
      problems({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD_FILE: path.join(dir, 'missing') }),
    ).toEqual([expect.stringMatching(/^KAFKA_SASL_PASSWORD_FILE: cannot read ".*missing" \(ENOENT\)$/)]);
    expect(problems({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: password })).toEqual([
      expect.stringMatching(/^KAFKA_SSL_CA_FILE: ".*password" holds no PEM certificate$/),
    ]);
    expect(problems({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CERT_FILE: path.join(dir, 'a.pem') })).toEqual([
      'KAFKA_SSL_KEY_FILE: required with KAFKA_SSL_CERT_FILE (mutual TLS needs both)',
    ]);
    expect(
      problems({
        KAFKA_SECURITY_PROTOCOL: 'SSL',
        KAFKA_SSL_CERT_FILE: path.join(dir, 'a.pem'),
        KAFKA_SSL_KEY_FILE: path.join(dir, 'b.key'),
      }),
    ).toEqual([expect.stringMatching(/^KAFKA_SSL_KEY_FILE: ".*b.key" is not the key of the certificate in KAFKA_SSL_CERT_FILE$/)]);
    expect(problems({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SASL_USERNAME: 'u' })).toEqual([
      'KAFKA_SASL_USERNAME: set, but KAFKA_SECURITY_PROTOCOL is SSL (expected SASL_SSL)',
    ]);
  });

  it('mutual TLS: the certificate and its key', () => {
    const security = loadKafkaSecurity(
      loadEnv(KAFKA_SECURITY_ENV, {
        KAFKA_SECURITY_PROTOCOL: 'SSL',
        KAFKA_SSL_CERT_FILE: path.join(dir, 'a.pem'),
        KAFKA_SSL_KEY_FILE: path.join(dir, 'a.key'),
      }),
    );
    expect(security.ssl).toMatchObject({ cert: expect.stringContaining('BEGIN CERTIFICATE'), key: expect.stringContaining('PRIVATE KEY') });
    expect(security.sasl).toBeUndefined();
  });
});
