// kafkajs warns at every producer creation that its default partitioner changed in 2.0; we use the new one on purpose.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

import { Kafka, KafkaConfig, logLevel } from 'kafkajs';
import { checkBrokerCertificate, explainKafkaError } from './kafka-access';
import { KafkaSecurity, kafkaSecurityOptions, PLAINTEXT } from './kafka-security';

/** kafkajs client settings shared by every app: retry long enough to ride out a broker restart. */
export function kafkaClientConfig(clientId: string, brokers: string[], security: KafkaSecurity = PLAINTEXT): KafkaConfig {
  return {
    clientId,
    brokers,
    ...kafkaSecurityOptions(security),
    logLevel: logLevel.WARN,
    connectionTimeout: 5000,
    retry: { initialRetryTime: 300, retries: 30, maxRetryTime: 5000 },
  };
}

/**
 * Creates the topic when it is missing (Nest #13220: a consumer started before its topic exists
 * fails with "This server does not host this topic-partition" until restarted). It is each app's
 * first contact with the brokers, so an untrusted certificate, refused credentials or a missing
 * ACL stop start-up here with a ConfigError naming the setting. A consumer passes its `group`,
 * whose ACL is checked too: a refused group otherwise fails the consumer's join later, as
 * kafkajs' "Failed to find group coordinator", naming nothing.
 */
export async function ensureTopic(
  brokers: string[],
  topic: string,
  partitions: number,
  security: KafkaSecurity = PLAINTEXT,
  group?: string,
): Promise<void> {
  await checkBrokerCertificate(brokers, security);
  try {
    await createTopicIfMissing(brokers, topic, partitions, security, group);
  } catch (e) {
    throw explainKafkaError(e, security, topic, group);
  }
}

async function createTopicIfMissing(brokers: string[], topic: string, partitions: number, security: KafkaSecurity, group?: string): Promise<void> {
  const admin = new Kafka(kafkaClientConfig('lakehouse-admin', brokers, security)).admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    }
    // A new topic's metadata reaches every listener a moment after creation; wait for it so the
    // consumers and producers started next do not fail their first metadata request.
    for (let attempt = 0; ; attempt++) {
      try {
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        if (meta.topics[0]?.partitions.every((p) => p.leader >= 0)) break;
      } catch (e) {
        if (attempt >= 50) throw e;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    // Once the brokers answered for the topic: DescribeGroups needs the group's DESCRIBE, which READ (a consumer's ACL) implies.
    if (group !== undefined) await admin.describeGroups([group]);
  } finally {
    await admin.disconnect();
  }
}
