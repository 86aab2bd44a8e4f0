// Runs N vendors' CRMs in this child process and tells the parent their URLs (IPC), so a benchmark's agent
// and its vendors do not share one event loop, as they would not in life.
// Usage (by fork): vendors-process.js COUNT PER_CRM [catalogue]
// With "catalogue", every vendor sells one e-bike (TMF620), so it answers intentcasts with an offer.
import { startVendors } from '@parley/agent/testing';

const [count, perCrm] = process.argv.slice(2, 4).map(Number);
const withCatalogue = process.argv[4] === 'catalogue';
const names = Array.from({ length: count }, (_, i) => `Vendor ${String(i + 1).padStart(4, '0')}`);
const { vendors, close } = await startVendors(names, perCrm);
if (withCatalogue) {
  let next = 0;
  const work = async () => {
    while (next < vendors.length) {
      const vendor = vendors[next++];
      const r = await vendor.api('POST', '/tmf-api/productCatalogManagement/v4/productOffering', {
        name: `E-bike ${next}`,
        description: 'A commuter e-bike',
        category: [{ id: 'bicycles', name: 'bicycles' }],
        brand: 'Gazelle',
        tags: ['e-bike', 'commuter'],
        lifecycleStatus: 'Launched',
        productOfferingPrice: [
          { name: 'price', price: { taxIncludedAmount: { value: 1500 + (next % 900), unit: 'EUR' } } },
        ],
      });
      if (r.status !== 201) throw new Error(`catalogue: ${r.status} ${JSON.stringify(r.body)}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, work));
}
process.send({ urls: vendors.map((v) => v.url) });
process.on('message', async (message) => {
  if (message === 'stop') {
    await close();
    process.exit(0);
  }
});
