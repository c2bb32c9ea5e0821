export { billingTotals, recordBillingLine, voidBillingLine, type BillableCall, type BillingTotals } from './lines.js';
export { formatMoney, rateCall, TariffSchema, type Rating } from './rating.js';
