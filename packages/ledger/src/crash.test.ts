import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MerkleLog } from './log.js';
import { storageFactories, plainSigner } from './testing/storages.js';
import { verifyConsistency } from './proof/verify.js';

const CHILD = fileURLToPath(new URL('./testing/crash-child.js', import.meta.url));
const KILLS = Number(process.env.PARLEY_CRASH_KILLS ?? 12);

interface Ack {
  run: number;
  firstSeq: number;
  count: number;
  firstIndex: number;
}

/** Runs the appending child until it has acknowledged something, then kills it with SIGKILL after a random delay. */
function runAndKill(url: string, run: number): Promise<Ack[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, url, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Ack[] = [];
    let buffer = '';
    let stderr = '';
    let timer: NodeJS.Timeout | undefined;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let at: number;
      while ((at = buffer.indexOf('\n')) >= 0) {
        const [kind, ...fields] = buffer.slice(0, at).split(' ');
        buffer = buffer.slice(at + 1);
        if (kind === 'ack') {
          const [r, firstSeq, count, firstIndex] = fields.map(Number) as [number, number, number, number];
          acks.push({ run: r, firstSeq, count, firstIndex });
          // Kill in the middle of later appends, at a random moment.
          timer ??= setTimeout(() => child.kill('SIGKILL'), 5 + Math.random() * 120);
        }
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`the appending process exited with ${code}: ${stderr}`));
    });
    setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
  });
}

for (const factory of storageFactories()) {
  test(`${factory.name}: killed ${KILLS} times mid-append, the log loses no acknowledged leaf and carries on`, async (t) => {
    t.after(() => factory.cleanup());
    const first = await factory.open();
    const url = factory.url();
    await (await MerkleLog.open(first, plainSigner())).close();
    let previous: { size: number; root: Buffer } | undefined;
    let acknowledged = 0;
    for (let run = 1; run <= KILLS; run++) {
      const acks = await runAndKill(url, run);
      assert.ok(acks.length > 0, `run ${run} acknowledged nothing`);
      // Reopening checks that the stored tree reproduces the last checkpoint (it throws otherwise).
      const log = await MerkleLog.open(await factory.reopen(), plainSigner());
      for (const ack of acks) {
        const end = ack.firstIndex + ack.count;
        assert.ok(
          log.size >= end,
          `run ${run}: acknowledged leaves up to ${end} but the log has ${log.size}`,
        );
        for (const i of [ack.firstIndex, end - 1]) {
          const { record } = await log.leaf(i);
          assert.deepEqual(record, { type: 'crash', run, seq: ack.firstSeq + (i - ack.firstIndex) });
        }
      }
      acknowledged += acks.reduce((n, a) => n + a.count, 0);
      // The history before the crash is a prefix of the history after it.
      if (previous)
        verifyConsistency(
          previous.size,
          log.size,
          await log.consistencyProof(previous.size),
          previous.root,
          log.checkpoint.root,
        );
      previous = { size: log.size, root: log.checkpoint.root };
      // And appends continue from there.
      const more = await log.append([{ type: 'crash', run, seq: -1 }]);
      assert.equal(more.firstIndex, previous.size);
      previous = { size: log.size, root: log.checkpoint.root };
      await log.close();
    }
    t.diagnostic(`${KILLS} kills, ${acknowledged} acknowledged leaves, final size ${previous?.size}`);
  });
}
