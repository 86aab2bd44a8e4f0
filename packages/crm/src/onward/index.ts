export { ONWARD_MIGRATIONS } from './migrations.js';
export { registerOnwardRoutes } from './routes.js';
export { OnwardService, type OnwardServiceOptions } from './service.js';
export {
  checkShare,
  createShare,
  listShares,
  retryOnwardWithdrawals,
  withdrawOnwardShares,
  withdrawShare,
  type OnwardOptions,
  type WithdrawalOutcome,
} from './sharer.js';
export { acceptOffering, purgeExpiredOnward, receiveBisaEvent } from './recipient.js';
