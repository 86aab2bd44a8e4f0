/** The vendors of the demo world: what they sell, and the terms each deals under. */
export interface VendorSetup {
  name: string;
  summary: string;
  profile: Record<string, unknown>;
  catalogue: Record<string, unknown>[];
  /** Reads the person's intent feed (when the world's CRMs follow feeds). */
  followsFeed: boolean;
  /** Gets the synthetic telco customer base. */
  telco?: boolean;
}

const offering = (
  name: string,
  category: string,
  brand: string,
  tags: string[],
  price: number,
  description: string,
) => ({
  name,
  description,
  category: [{ id: category, name: category }],
  brand,
  tags,
  lifecycleStatus: 'Launched',
  productOfferingPrice: [{ name: 'price', price: { taxIncludedAmount: { value: price, unit: 'EUR' } } }],
});

const controller = (name: string, city: string, country: string, email: string) => ({
  piiController: name,
  contact: 'Data Protection Officer',
  address: { streetAddress: '1 Market Square', addressLocality: city, addressCountry: country },
  email,
  phone: '+31 30 000 0000',
});

export const VENDORS: VendorSetup[] = [
  {
    name: 'Velo Utrecht',
    summary: 'a bike shop; deals under "second-party use, 30 days"',
    profile: {
      controller: controller('Velo Utrecht B.V.', 'Utrecht', 'NL', 'privacy@velo.example'),
      intentPolicy: { mode: 'auto', accepts: ['2P-30D'] },
    },
    catalogue: [
      offering(
        'Gazelle Ultimate T10',
        'bicycles',
        'Gazelle',
        ['e-bike', 'commuter'],
        2299,
        'Belt drive, 500 Wh',
      ),
      offering('Cortina E-Common', 'bicycles', 'Cortina', ['e-bike', 'city'], 1899, 'Step-through, 400 Wh'),
      offering('Batavus Finez', 'bicycles', 'Batavus', ['commuter'], 1299, 'No motor, 27 gears'),
    ],
    followsFeed: true,
  },
  {
    name: 'Fietsenwinkel Noord',
    summary: 'a bike shop; counters with "service delivery only" (it services what it sells)',
    profile: {
      controller: controller('Fietsenwinkel Noord', 'Groningen', 'NL', 'privacy@noord.example'),
      intentPolicy: {
        mode: 'auto',
        accepts: ['SD-BASE'],
        counter: 'SD-BASE',
        reason: 'We keep your details while we service the bike we sell you.',
      },
    },
    catalogue: [
      offering(
        'Gazelle Ultimate T10',
        'bicycles',
        'Gazelle',
        ['e-bike', 'commuter'],
        2199,
        'Belt drive, 500 Wh',
      ),
      offering('Stromer ST1', 'bicycles', 'Stromer', ['e-bike', 'speed'], 3490, 'Speed pedelec, 45 km/h'),
    ],
    followsFeed: true,
  },
  {
    name: 'MegaStore',
    summary: 'a department store; deals only under terms that allow analytics, so it declines',
    profile: {
      controller: controller('MegaStore N.V.', 'Amsterdam', 'NL', 'privacy@megastore.example'),
      intentPolicy: {
        mode: 'auto',
        accepts: ['SD-BASE-A-DP'],
        reason: 'We only sell under terms that let us analyse our sales.',
      },
    },
    catalogue: [
      offering('Urban e-bike 3000', 'bicycles', 'Generic', ['e-bike'], 999, 'Budget e-bike'),
      offering('Phone X', 'phones', 'Generic', ['5g'], 499, 'A phone'),
    ],
    followsFeed: true,
  },
  {
    name: 'Example Telco',
    summary: 'a telco with a synthetic customer base; a person at the telco decides on intentcasts',
    profile: {
      controller: controller('Example Telco Ltd', 'Rotterdam', 'NL', 'dpo@telco.example'),
      intentPolicy: { mode: 'manual', accepts: ['2P-30D', 'SD-BASE'] },
    },
    catalogue: [
      offering(
        'Unlimited 5G',
        'mobile-plans',
        'Example Telco',
        ['5g', 'unlimited'],
        35,
        'Monthly, unlimited data',
      ),
      offering('Fibre 1 Gbit', 'broadband', 'Example Telco', ['fibre'], 49, 'Monthly'),
    ],
    followsFeed: false,
    telco: true,
  },
];
