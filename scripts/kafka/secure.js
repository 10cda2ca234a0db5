/*
 * The secured broker of scripts/kafka/kafka.js (KAFKA_SECURITY=secure): what production Kafka
 * looks like, on one machine, for the security tests and `npm run stack` when asked.
 *
 *   <port>     SASL_SSL: SCRAM-SHA-512 and PLAIN users, broker certificate signed by a test CA
 *   <port+1>   CONTROLLER (PLAINTEXT, loopback)
 *   <port+2>   SSL with client certificates required (mutual TLS; the principal is the CN)
 *   <port+3>   INTERNAL (PLAINTEXT, loopback): inter-broker traffic and the admin that sets ACLs
 *
 * ACLs are on (StandardAuthorizer, deny when no ACL matches). `grant` gives the producer user
 * Write on its topic only, the ingestor user Read on its topic and its group only. The anonymous
 * principal of the loopback PLAINTEXT listeners is the super user: it exists only to administer
 * this local broker.
 *
 * Certificates, keys and passwords are made with openssl on first start, in <data dir>/secrets:
 *   ca.pem                      the CA the clients verify the broker with
 *   untrusted-ca.pem            another CA (tests: a client trusting only it must refuse the broker)
 *   <user>.password             SASL password (SCRAM and PLAIN) of producer, ingestor
 *   <user>.pem, <user>.key      client certificate (CN=<user>) and key for mutual TLS
 */
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const { spawnSync } = require('child_process');

const USERS = ['producer', 'ingestor'];

function secretsDir(o) {
  return path.join(o.dataDir, 'secrets');
}

function openssl(args, cwd) {
  const r = spawnSync(process.env.OPENSSL || 'openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed: ${r.error ? r.error.message : r.stderr}`);
  }
}

/** A key and a certificate signed by the CA in `dir` (or self-signed, for a CA). */
function makeCertificate(dir, name, subject, { ca, san } = {}) {
  if (!ca) {
    openssl(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '365', '-subj', subject],
      dir,
    );
    return;
  }
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject], dir);
  const ext = `${name}.ext`;
  fs.writeFileSync(path.join(dir, ext), san ? `subjectAltName=${san}\n` : 'extendedKeyUsage=clientAuth\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '365',
      '-extfile',
      ext,
    ],
    dir,
  );
  fs.rmSync(path.join(dir, `${name}.csr`));
  fs.rmSync(path.join(dir, ext));
}

/** Makes the CA, the broker's and the users' certificates and the passwords, once per data dir. */
function ensureSecrets(o) {
  const dir = secretsDir(o);
  const done = path.join(dir, '.complete');
  if (fs.existsSync(done)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  makeCertificate(dir, 'ca', '/CN=lakehouse-test-ca');
  makeCertificate(dir, 'untrusted-ca', '/CN=some-other-ca');
  makeCertificate(dir, 'broker', '/CN=localhost', { ca: 'ca', san: `IP:${o.host},IP:127.0.0.1,DNS:localhost` });
  // The broker reads its key and chain from one PEM file (KIP-651).
  fs.writeFileSync(
    path.join(dir, 'broker-keystore.pem'),
    fs.readFileSync(path.join(dir, 'broker.key'), 'utf8') + fs.readFileSync(path.join(dir, 'broker.pem'), 'utf8'),
  );
  for (const user of USERS) {
    makeCertificate(dir, user, `/CN=${user}`, { ca: 'ca' });
    fs.writeFileSync(path.join(dir, `${user}.password`), `${crypto.randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  }
  fs.writeFileSync(done, '');
  o.log(`made the test CA, certificates and passwords in ${dir}`);
  return dir;
}

function password(o, user) {
  return fs.readFileSync(path.join(secretsDir(o), `${user}.password`), 'utf8').trim();
}

function ports(o) {
  return { saslSsl: o.port, controller: o.controllerPort, mtls: o.port + 2, internal: o.port + 3 };
}

/** server.properties of the secured broker (they override the PLAINTEXT ones). */
function secureProperties(o) {
  const dir = secretsDir(o).split(path.sep).join('/');
  const p = ports(o);
  const plainUsers = USERS.map((u) => `user_${u}="${password(o, u)}"`).join(' ');
  return {
    listeners: `SASL_SSL://${o.host}:${p.saslSsl},CONTROLLER://${o.host}:${p.controller},SSL://${o.host}:${p.mtls},INTERNAL://${o.host}:${p.internal}`,
    'advertised.listeners': `SASL_SSL://${o.host}:${p.saslSsl},SSL://${o.host}:${p.mtls},INTERNAL://${o.host}:${p.internal}`,
    'listener.security.protocol.map': 'SASL_SSL:SASL_SSL,SSL:SSL,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name': 'INTERNAL',
    'listener.name.sasl_ssl.sasl.enabled.mechanisms': 'SCRAM-SHA-512,PLAIN',
    'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'listener.name.sasl_ssl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${plainUsers};`,
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': `${dir}/broker-keystore.pem`,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': `${dir}/ca.pem`,
    'listener.name.ssl.ssl.client.auth': 'required',
    'ssl.principal.mapping.rules': 'RULE:^CN=([^,]+).*$/$1/,DEFAULT',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found': 'false',
    'super.users': 'User:ANONYMOUS',
    'auto.create.topics.enable': 'false',
  };
}

/** `kafka-storage format` arguments that create the SCRAM users. */
function scramFormatArgs(o) {
  return USERS.flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u},password=${password(o, u)}]`]);
}

/**
 * ACLs for one topic and group: the producer user may write (and describe) the topic, the
 * ingestor user may read it and use the group; nothing else. Idempotent.
 */
async function grant(o, kafkajs, { topic, group, partitions = 3 }) {
  const { AclResourceTypes: R, AclOperationTypes: Op, AclPermissionTypes: P, ResourcePatternTypes: T } = kafkajs;
  const kafka = new kafkajs.Kafka({
    clientId: 'kafka-dev-acl',
    brokers: [`${o.host}:${ports(o).internal}`],
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    }
    const acl = (resourceType, resourceName, principal, operation) => ({
      resourceType,
      resourceName,
      resourcePatternType: T.LITERAL,
      principal: `User:${principal}`,
      host: '*',
      operation,
      permissionType: P.ALLOW,
    });
    await admin.createAcls({
      acl: [
        acl(R.TOPIC, topic, 'producer', Op.WRITE),
        acl(R.TOPIC, topic, 'producer', Op.DESCRIBE),
        acl(R.TOPIC, topic, 'ingestor', Op.READ),
        acl(R.TOPIC, topic, 'ingestor', Op.DESCRIBE),
        acl(R.GROUP, group, 'ingestor', Op.READ),
      ],
    });
  } finally {
    await admin.disconnect();
  }
}

module.exports = { USERS, ensureSecrets, secretsDir, secureProperties, scramFormatArgs, grant, ports };
