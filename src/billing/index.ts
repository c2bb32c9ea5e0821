export { billIfPersonAnswered, billingTotals, recordBillingLine, voidBillingLine, type BillableCall, type BillingTotals, type CallForBilling } from './lines.js';
export { formatMoney, rateCall, TariffSchema, type Rating } from './rating.js';
