/**
 * A process that appends to a log until it is killed, printing `ack <run> <firstSeq> <count> <firstIndex>`
 * after each batch is committed. The crash test kills it with SIGKILL at random moments.
 * Usage: node crash-child.js <database url> <run>
 */
import { MerkleLog } from '../log.js';
import { openLogStorage } from '../storage/open.js';
import { plainSigner } from './storages.js';

const [url, run] = process.argv.slice(2) as [string, string];
const log = await MerkleLog.open(await openLogStorage({ url }), plainSigner());
process.stdout.write(`open ${log.size}\n`);
let seq = 0;
for (;;) {
  const count = 1 + Math.floor(Math.random() * 300);
  const records = Array.from({ length: count }, (_, i) => ({
    type: 'crash',
    run: Number(run),
    seq: seq + i,
  }));
  const result = await log.append(records);
  process.stdout.write(`ack ${run} ${seq} ${count} ${result.firstIndex}\n`);
  seq += count;
}
