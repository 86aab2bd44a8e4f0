import type { VendorContext } from '../agreement/vendor.js';
import type { Catalogues } from './catalogues.js';
import type { AnswerDeliverer } from './delivery.js';
import type { EvaluationOptions } from './evaluate.js';

/** Everything the vendor side of intentcasting works with, built once per server. */
export interface IntentContext extends VendorContext {
  catalogues: Catalogues;
  deliverer: AnswerDeliverer;
  /** Offer size and lifetime. */
  evaluation: Omit<EvaluationOptions, 'clock'>;
  /** The server's public base URL (e.g. https://crm.example); default: the host a request came to. */
  publicUrl?: string;
}
