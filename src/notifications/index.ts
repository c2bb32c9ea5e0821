export {
  DELIVERY_COLUMNS,
  deliveryAttempts,
  enqueueDelivery,
  listDeliverySummary,
  RECORDING_GRACE_MS,
  WebhookDeliveries,
  type DeliveryAttempt,
  type DeliveryRow,
  type ListDeliverySummary,
} from './deliveries.js';
export { generateWebhookSecret, verifyPayloadSignature } from './signature.js';
export { ReceiverAddresses, type Resolve } from './receivers.js';
