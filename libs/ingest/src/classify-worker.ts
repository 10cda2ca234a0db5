/**
 * Entry point of the classify worker thread, started by ClassifierThread: runs BatchClassifier
 * on the commands it receives, in order, and answers with what the main thread needs. Not
 * exported by the library's index: loading it outside a worker would be an error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ColumnBatch } from '@app/delta';
import { isDictionaryColumn } from '@app/delta/core';
import type { ClassifyCommand, ClassifyReply, ClassifyWorkerData } from './classifier-thread';
import { BatchClassifier } from './transforms';

const port = parentPort;
if (!port) throw new Error('classify-worker must run in a worker thread (started by ClassifierThread)');
const { topic, watermarkDelayMicros, maxEventTimeAheadMicros, payloadDecoder } = workerData as ClassifyWorkerData;
// The first batch's capacity; later ones start at what held the batch before (nextCapacity).
const classifier = new BatchClassifier(topic, watermarkDelayMicros, maxEventTimeAheadMicros, 16_384, payloadDecoder);

function reply(message: ClassifyReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/** The column buffers of a batch, handed over to the main thread instead of copied. */
function columnBuffers(batch: ColumnBatch): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const column of Object.values(batch.columns)) {
    if (ArrayBuffer.isView(column)) buffers.add(column.buffer as ArrayBuffer);
    else if (isDictionaryColumn(column)) buffers.add(column.indices.buffer as ArrayBuffer);
  }
  return [...buffers];
}

// A command that cannot be deserialized must not vanish: an `add` lost here would leave its offsets committed without their rows.
port.on('messageerror', (e) => reply({ type: 'failed', error: `a command could not be deserialized: ${e.message}` }));

port.on('message', (command: ClassifyCommand) => {
  try {
    switch (command.type) {
      case 'add':
        classifier.add(command.partition, command.messages, command.ingestionMicros);
        return reply({ type: 'added', bytes: command.messages.payloads.byteLength });
      case 'finish': {
        const batch = classifier.finish();
        return reply({ type: 'finished', batch }, columnBuffers(batch.bronze));
      }
      case 'drop':
        return classifier.drop();
      case 'reset-watermark':
        return classifier.resetWatermark(command.partition, command.maxEventTime);
    }
  } catch (e) {
    reply({ type: 'failed', error: (e as Error).stack ?? String(e) });
  }
});
