export { billIfPersonAnswered, billingTotals, SqliteBillingStore, type BillingLine, type BillingStore } from './lines.js';
export { formatMoney, rateCall, TariffSchema } from './rating.js';
