export { billIfPersonAnswered, billingTotals, SqliteBillingStore, type BillingLine, type BillingStore } from './lines.js';
export { PostgresBillingStore } from './lines.pg.js';
export { formatMoney, rateCall, TariffSchema } from './rating.js';
