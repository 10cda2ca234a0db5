const { Kafka, logLevel } = require('kafkajs');
const mode = process.argv[2];
const kafka = new Kafka({ clientId: 'verify', brokers: [process.env.B || '127.0.0.1:9092'], logLevel: logLevel.WARN });
const topic = 'verify-topic';
(async () => {
  const t0 = Date.now();
  const admin = kafka.admin(); await admin.connect();
  const before = await admin.listTopics();
  console.log('topics before:', before.filter(t => !t.startsWith('__')));
  if (mode === 'first') {
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  } else if (!before.includes(topic)) throw new Error('topic lost after restart');
  const offs = await admin.fetchTopicOffsets(topic);
  console.log('offsets:', offs.map(o => `${o.partition}:${o.high}`).join(' '));
  await admin.disconnect();
  const producer = kafka.producer(); await producer.connect();
  const tag = mode + '-' + Date.now();
  await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'k' + i, value: `${tag}-${i}` })) });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'verify-group' }); await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout; got ' + got.length)), 30000);
    consumer.run({ eachMessage: async ({ message }) => { got.push(message.value.toString()); if (got.filter(v => v.startsWith(tag)).length === 10) { clearTimeout(timer); resolve(); } } });
  });
  await consumer.disconnect();
  console.log(`consumed ${got.length} (this run's: ${got.filter(v => v.startsWith(tag)).length}, older: ${got.filter(v => !v.startsWith(tag)).length}) in ${Date.now() - t0}ms`);
})().catch(e => { console.error('FAIL', e); process.exit(1); });
