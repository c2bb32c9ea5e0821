export {
  DELIVERY_COLUMNS,
  deliveryAttempts,
  enqueueDelivery,
  listDeliverySummary,
  RECORDING_GRACE_MS,
  WebhookDeliveries,
  type DeliveryAttempt,
  type DeliveryRow,
  type EnqueueDelivery,
  type ListDeliverySummary,
  type PayloadBuilder,
  type WebhookDeliveriesOptions,
} from './deliveries.js';
export { generateWebhookSecret, signPayload, SIGNATURE_HEADER, verifyPayloadSignature } from './signature.js';
export { postWebhook, ReceiverAddresses, ReceiverRefused, type Resolve } from './receivers.js';
