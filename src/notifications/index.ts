export { DELIVERY_COLUMNS, enqueueDelivery, SqliteDeliveryStore, type DeliveryAttempt, type DeliveryRow, type DeliveryStore, type EnqueueDelivery } from './delivery-store.js';
export { PostgresDeliveryStore } from './delivery-store.pg.js';
export {
  deliveryAttempts,
  listDeliverySummary,
  RECORDING_GRACE_MS,
  WebhookDeliveries,
  type ListDeliverySummary,
} from './deliveries.js';
export { generateWebhookSecret, verifyPayloadSignature } from './signature.js';
export { ReceiverAddresses, type Resolve } from './receivers.js';
