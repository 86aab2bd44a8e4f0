export { AGREEMENT_MIGRATIONS } from './migrations.js';
export { VendorKeys } from './keys.js';
export { AgreementLedger, DEFAULT_LEDGER_ORIGIN, type LedgerOptions } from './ledger.js';
export {
  checkProfile,
  defaultProfile,
  VendorProfiles,
  vendorDocument,
  type Publication,
  type VendorProfile,
} from './profile.js';
export { createInvitation, INVITATION_DAYS } from './invitations.js';
export { valueProblem, isCountryCode, checkDataPayload } from './values.js';
export {
  registerAgreementRoutes,
  INVITATIONS_PATH,
  VENDOR_BODY_LIMIT,
  VENDOR_PREFIX,
  VENDOR_PROFILE_PATH,
} from './routes.js';
export { vendorPath, type AgreementRow, type Permissions, type VendorContext } from './vendor.js';
