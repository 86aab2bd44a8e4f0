export { INTENT_MIGRATIONS } from './migrations.js';
export { PRODUCT_OFFERING, catalogueItem, priceOf } from './catalogue.js';
export { SALES_LEAD, salesLeadDoc } from './sales-lead.js';
export { CatalogueIndex, matchLinear, type CatalogueItem, type Match, type MatchQuery } from './matching.js';
export {
  checkIntentPolicy,
  compileIntentPolicy,
  DEFAULT_INTENT_POLICY,
  policyOutcome,
  type CompiledIntentPolicy,
  type VendorIntentPolicy,
} from './policy.js';
export {
  evaluateIntent,
  evaluateStaffDecision,
  NO_MATCH_REASON,
  offerValidUntil,
  type Evaluation,
  type EvaluationOptions,
  type StaffDecision,
} from './evaluate.js';
export { verifyIntentcast } from './receive.js';
export type { IntentAnswer } from './store.js';
export type { FeedPollSummary, IntentFeed } from './feeds.js';
export { registerIntentRoutes, INTENTS_PATH, INTENT_FEEDS_PATH } from './routes.js';
export { IntentService, type IntentOptions } from './service.js';
