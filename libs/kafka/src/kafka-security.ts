import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as tls from 'node:tls';
import { KafkaConfig, SASLOptions } from 'kafkajs';
import { ConfigError, EnvConfig, KAFKA_SECURITY_ENV } from '@app/common';

/** Nest injection token of the app's KafkaSecurity. */
export const KAFKA_SECURITY = Symbol('KAFKA_SECURITY');

export type KafkaSecuritySettings = EnvConfig<typeof KAFKA_SECURITY_ENV>;

/** What kafkajs needs to reach secured brokers, resolved once at start-up, plus the settings it came from (for error messages). */
export interface KafkaSecurity {
  settings: KafkaSecuritySettings;
  ssl?: tls.ConnectionOptions;
  sasl?: SASLOptions;
}

export const PLAINTEXT: KafkaSecurity = {
  settings: {
    KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: '',
    KAFKA_SASL_PASSWORD_FILE: '',
    KAFKA_SSL_CA_FILE: '',
    KAFKA_SSL_CERT_FILE: '',
    KAFKA_SSL_KEY_FILE: '',
  },
};

/**
 * Reads and checks the security settings: every file is read and parsed now (a missing file, a
 * PEM that is not a certificate, a key that does not match its certificate), so a bad setting
 * stops start-up with a ConfigError naming the variable instead of a connection failing later.
 */
export function loadKafkaSecurity(settings: KafkaSecuritySettings): KafkaSecurity {
  const problems: string[] = [];
  const protocol = settings.KAFKA_SECURITY_PROTOCOL;
  const read = (name: keyof KafkaSecuritySettings): string | undefined => {
    const file = settings[name];
    if (!file) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      problems.push(`${name}: cannot read "${file}" (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      return undefined;
    }
  };

  if (protocol === 'PLAINTEXT') {
    for (const name of [
      'KAFKA_SASL_USERNAME',
      'KAFKA_SASL_PASSWORD_FILE',
      'KAFKA_SSL_CA_FILE',
      'KAFKA_SSL_CERT_FILE',
      'KAFKA_SSL_KEY_FILE',
    ] as const) {
      if (settings[name]) problems.push(`${name}: set, but KAFKA_SECURITY_PROTOCOL is PLAINTEXT (expected SSL or SASL_SSL)`);
    }
    if (problems.length) throw new ConfigError(problems);
    return { settings };
  }

  const ssl: tls.ConnectionOptions = { rejectUnauthorized: true };
  const ca = read('KAFKA_SSL_CA_FILE');
  if (ca !== undefined) {
    if (certificates(ca).length === 0) problems.push(`KAFKA_SSL_CA_FILE: "${settings.KAFKA_SSL_CA_FILE}" holds no PEM certificate`);
    else ssl.ca = ca;
  }
  const cert = read('KAFKA_SSL_CERT_FILE');
  const key = read('KAFKA_SSL_KEY_FILE');
  if (!!settings.KAFKA_SSL_CERT_FILE !== !!settings.KAFKA_SSL_KEY_FILE) {
    const missing = settings.KAFKA_SSL_CERT_FILE ? 'KAFKA_SSL_KEY_FILE' : 'KAFKA_SSL_CERT_FILE';
    problems.push(
      `${missing}: required with ${missing === 'KAFKA_SSL_KEY_FILE' ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE'} (mutual TLS needs both)`,
    );
  } else if (cert !== undefined && key !== undefined) {
    const [leaf] = certificates(cert);
    let privateKey;
    try {
      privateKey = createPrivateKey(key);
    } catch (e) {
      problems.push(`KAFKA_SSL_KEY_FILE: "${settings.KAFKA_SSL_KEY_FILE}" is not a PEM private key (${(e as Error).message})`);
    }
    if (!leaf) problems.push(`KAFKA_SSL_CERT_FILE: "${settings.KAFKA_SSL_CERT_FILE}" holds no PEM certificate`);
    else if (privateKey && !leaf.checkPrivateKey(privateKey)) {
      problems.push(`KAFKA_SSL_KEY_FILE: "${settings.KAFKA_SSL_KEY_FILE}" is not the key of the certificate in KAFKA_SSL_CERT_FILE`);
    } else {
      ssl.cert = cert;
      ssl.key = key;
    }
  }

  let sasl: SASLOptions | undefined;
  if (protocol === 'SASL_SSL') {
    if (!settings.KAFKA_SASL_USERNAME) problems.push('KAFKA_SASL_USERNAME: required with KAFKA_SECURITY_PROTOCOL=SASL_SSL');
    if (!settings.KAFKA_SASL_PASSWORD_FILE) problems.push('KAFKA_SASL_PASSWORD_FILE: required with KAFKA_SECURITY_PROTOCOL=SASL_SSL');
    const password = read('KAFKA_SASL_PASSWORD_FILE')?.replace(/\r?\n$/, '');
    if (password === '') problems.push(`KAFKA_SASL_PASSWORD_FILE: "${settings.KAFKA_SASL_PASSWORD_FILE}" is empty`);
    if (password && settings.KAFKA_SASL_USERNAME) {
      const username = settings.KAFKA_SASL_USERNAME;
      const mechanism = settings.KAFKA_SASL_MECHANISM;
      sasl =
        mechanism === 'PLAIN'
          ? { mechanism: 'plain', username, password }
          : mechanism === 'SCRAM-SHA-256'
            ? { mechanism: 'scram-sha-256', username, password }
            : { mechanism: 'scram-sha-512', username, password };
    }
  } else {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD_FILE'] as const) {
      if (settings[name]) problems.push(`${name}: set, but KAFKA_SECURITY_PROTOCOL is ${protocol} (expected SASL_SSL)`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return { settings, ssl, sasl };
}

function certificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const out: X509Certificate[] = [];
  for (const block of blocks) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      return [];
    }
  }
  return out;
}

/** The kafkajs connection options of these settings. */
export function kafkaSecurityOptions(security: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  return { ssl: security.ssl, sasl: security.sasl };
}
