export { billIfPersonAnswered, billingTotals, voidBillingLine } from './lines.js';
export { formatMoney, rateCall, TariffSchema } from './rating.js';
