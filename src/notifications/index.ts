export { DELIVERY_COLUMNS, type DeliveryAttempt, type DeliveryRow } from './delivery-store.js';
export {
  deliveryAttempts,
  enqueueDelivery,
  listDeliverySummary,
  RECORDING_GRACE_MS,
  WebhookDeliveries,
  type ListDeliverySummary,
} from './deliveries.js';
export { generateWebhookSecret, verifyPayloadSignature } from './signature.js';
export { ReceiverAddresses, type Resolve } from './receivers.js';
