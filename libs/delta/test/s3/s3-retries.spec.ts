import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { AlreadyExistsError, S3ObjectStore } from '@app/delta';

/**
 * What a real server does only under load, played by a tiny HTTP server: throttling answers
 * (503 SlowDown) are retried with backoff by the client, and a 409 to a conditional write (one
 * in flight for the same key) is asked again until the outcome is known.
 */
function s3Error(status: number, code: string): (res: http.ServerResponse) => void {
  return (res) => {
    res.writeHead(status, { 'content-type': 'application/xml' });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
  };
}

const ok = (res: http.ServerResponse) => {
  res.writeHead(200, { etag: '"1"' });
  res.end();
};

async function withServer(
  answers: Array<(res: http.ServerResponse) => void>,
  test: (store: S3ObjectStore, seen: number[]) => Promise<void>,
): Promise<void> {
  const seen: number[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(Date.now());
      (answers.shift() ?? ok)(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    maxAttempts: 5,
  });
  try {
    await test(new S3ObjectStore('s3://bucket/table', { client }), seen);
  } finally {
    client.destroy();
    await new Promise((r) => server.close(r));
  }
}

describe('S3ObjectStore retries', () => {
  it('retries a throttled write (503 SlowDown), with the SDK backoff between attempts, until it succeeds', async () => {
    await withServer([s3Error(503, 'SlowDown'), s3Error(503, 'SlowDown')], async (store, seen) => {
      await store.put('_delta_log/_last_checkpoint', '{}');
      expect(seen).toHaveLength(3);
    });
  });

  it('asks a conditional write again after 409 ConditionalRequestConflict; 412 then means another writer won', async () => {
    await withServer([s3Error(409, 'ConditionalRequestConflict'), s3Error(412, 'PreconditionFailed')], async (store, seen) => {
      await expect(store.putIfAbsent('_delta_log/00000000000000000001.json', '{}')).rejects.toBeInstanceOf(AlreadyExistsError);
      expect(seen).toHaveLength(2);
    });
  });
});
