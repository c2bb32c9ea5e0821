export {
  addClient,
  authenticateClient,
  ClientSettingsPatch,
  getClient,
  hashApiKey,
  listClients,
  updateClientSettings,
  WebhookUrl,
  type Client,
  type ClientDetails,
} from './clients.js';
export {
  canonicalLanguage,
  canonicalTimeZone,
  EMAIL_COLUMN_NAMES,
  EMAIL_VALUE,
  KNOWN_COLUMNS,
  NAME_COLUMN_NAMES,
  PHONE_COLUMN_NAMES,
  PHONE_VALUE,
  segmentVerdict,
  type ColumnValues,
} from './columns.js';
export { importList, REJECTED_SAMPLE, type DuplicateRow, type ImportProgress, type ImportSummary, type RejectedRow } from './import.js';
export {
  createList,
  getList,
  listLists,
  removeAbandonedImports,
  updateListSettings,
  type CreateListInput,
  type ListDetails,
  type ListOverview,
  type ListSettingsPatch,
} from './lists.js';
export { isCountryCode, normalizePhone, type PhoneResult } from './phone.js';
export { DialingPolicy, parseJsonColumn, SurveyScript } from './settings.js';
export { CallingWindows, DEFAULT_POLICY, effectivePolicy, ListSettingsBook, type ContactPlace, type EffectivePolicy, type ListSettings, type PolicyOverrides } from './list-settings.js';
export {
  addSuppressions,
  isSuppressed,
  listSuppressions,
  readNumbersFile,
  removeSuppression,
  type AddSuppressionsSummary,
  type SuppressionEntry,
} from './suppression.js';
