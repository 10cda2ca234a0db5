import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { ConfigError } from '@app/common';
import { KafkaSecurity } from './kafka-security';

/** TLS errors that mean the broker's certificate is not trusted by the configured CA. */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * One TLS handshake with the first broker that answers, before kafkajs connects: kafkajs retries
 * a refused certificate like a network error for minutes, while it never gets better. A broker
 * that is not up yet is left to kafkajs' retries.
 */
export async function checkBrokerCertificate(brokers: string[], security: KafkaSecurity): Promise<void> {
  if (!security.ssl) return;
  for (const broker of brokers) {
    const [host, port] = splitHostPort(broker);
    const failure = await new Promise<Error | undefined>((resolve) => {
      const socket = tls.connect({ ...security.ssl, host, port, servername: isIP(host) ? undefined : host });
      socket.setTimeout(10_000, () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once('secureConnect', () => {
        socket.end();
        resolve(undefined);
      });
      socket.once('error', (e) => {
        socket.destroy();
        resolve(e);
      });
    });
    const code = (failure as NodeJS.ErrnoException | undefined)?.code;
    if (code && UNTRUSTED_CERTIFICATE.has(code)) {
      const ca = security.settings.KAFKA_SSL_CA_FILE;
      throw new ConfigError([
        `KAFKA_SSL_CA_FILE: the certificate of broker ${broker} is not trusted by ${ca ? `"${ca}"` : 'the system CAs (KAFKA_SSL_CA_FILE unset)'} (${code}: ${failure!.message})`,
      ]);
    }
    if (!failure) return;
  }
}

function splitHostPort(broker: string): [string, number] {
  const at = broker.lastIndexOf(':');
  const host = broker.slice(0, at).replace(/^\[|\]$/g, '');
  return [host, Number(broker.slice(at + 1))];
}

/**
 * Turns a refusal by the brokers (bad credentials, no ACL for the topic or the consumer group) into
 * a ConfigError naming the setting to fix; other errors are returned as they are.
 */
export function explainKafkaError(e: unknown, security: KafkaSecurity, topic: string, group?: string): unknown {
  const s = security.settings;
  const user = s.KAFKA_SASL_USERNAME
    ? `user "${s.KAFKA_SASL_USERNAME}"`
    : s.KAFKA_SSL_CERT_FILE
      ? `the certificate in KAFKA_SSL_CERT_FILE`
      : 'this client';
  for (const err of causes(e)) {
    if (err.name === 'KafkaJSSASLAuthenticationError') {
      return new ConfigError([
        `KAFKA_SASL_PASSWORD_FILE: the brokers refused the credentials of KAFKA_SASL_USERNAME="${s.KAFKA_SASL_USERNAME}" ` +
          `(KAFKA_SASL_MECHANISM=${s.KAFKA_SASL_MECHANISM}, password from "${s.KAFKA_SASL_PASSWORD_FILE}"): ${err.message}`,
      ]);
    }
    const type = err.type ?? '';
    if (type === 'TOPIC_AUTHORIZATION_FAILED' || type === 'CLUSTER_AUTHORIZATION_FAILED') {
      return new ConfigError([`KAFKA_TOPIC: ${user} is not allowed to use topic "${topic}" (${type}): fix KAFKA_TOPIC or grant the ACL`]);
    }
    // kafkajs turns the brokers' GROUP_AUTHORIZATION_FAILED to FindCoordinator into "no coordinator"
    // (it drops the cause); a coordinator merely starting up is retried for minutes before that.
    if (group !== undefined && (type === 'GROUP_AUTHORIZATION_FAILED' || err.name === 'KafkaJSGroupCoordinatorNotFound')) {
      return new ConfigError([
        `KAFKA_GROUP_ID: ${user} is not allowed to use consumer group "${group}" (GROUP_AUTHORIZATION_FAILED; kafkajs: ${err.message}): fix KAFKA_GROUP_ID or grant the ACL`,
      ]);
    }
  }
  return e;
}

type KafkaError = Error & { type?: string; cause?: unknown; errors?: unknown[] };

/** The error, its causes, and the errors an aggregate (per-topic errors of createTopics) holds. */
function causes(e: unknown): KafkaError[] {
  const out: KafkaError[] = [];
  const queue = [e];
  while (queue.length) {
    const err = queue.shift();
    if (!(err instanceof Error) || out.includes(err)) continue;
    const k = err as KafkaError;
    out.push(k);
    queue.push(k.cause, ...(k.errors ?? []));
  }
  return out;
}
