// Runs N vendors' CRMs in this child process and tells the parent their URLs (IPC), so a benchmark's agent
// and its vendors do not share one event loop, as they would not in life.
import { startVendors } from '@parley/agent/testing';

const [count, perCrm] = process.argv.slice(2).map(Number);
const names = Array.from({ length: count }, (_, i) => `Vendor ${String(i + 1).padStart(3, '0')}`);
const { vendors, close } = await startVendors(names, perCrm);
process.send({ urls: vendors.map((v) => v.url) });
process.on('message', async (message) => {
  if (message === 'stop') {
    await close();
    process.exit(0);
  }
});
