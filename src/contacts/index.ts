export { addClient, authenticateClient, getClient, hashApiKey, listClients, updateClientSettings, type Client, type ClientDetails } from './clients.js';
export { canonicalTimeZone, EMAIL_VALUE, PHONE_COLUMN_NAMES, PHONE_VALUE, segmentVerdict, type ColumnValues } from './columns.js';
export { importList, type ImportProgress, type ImportSummary } from './import.js';
export { createList, getList, listLists, removeAbandonedImports, updateListSettings, type ListDetails, type ListSettingsPatch } from './lists.js';
export { isCountryCode, normalizePhone } from './phone.js';
export { DialingPolicy, SurveyScript } from './settings.js';
export { DEFAULT_POLICY, ListSettingsBook, type ContactPlace, type EffectivePolicy, type ListSettings } from './list-settings.js';
export { addSuppressions, isSuppressed, listSuppressions, readNumbersFile, removeSuppression, type AddSuppressionsSummary } from './suppression.js';
export { SqliteContactStore, type ContactRow, type ContactStore, type SettleGuard } from './contact-store.js';
