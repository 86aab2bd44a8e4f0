import { PARLEY_FUZZ_TARGETS } from './parley-targets.js';
import { JLINC_FUZZ_TARGETS, type FuzzTarget } from './targets.js';

/** Every validator a receiver runs on another party's message, JLINC v7 and the Parley profile. */
export const FUZZ_TARGETS: FuzzTarget[] = [...JLINC_FUZZ_TARGETS, ...PARLEY_FUZZ_TARGETS];
