export { ReusingAuth, type ReusingAuthOptions } from './auth.js';
export { decimalToMicros, parseProviderTime, parseSeconds } from './money.js';
export { isVonageCallStatus, translateStatus, VONAGE_CALL_STATUSES, type StatusMeaning, type VonageCallStatus } from './provider-status.js';
export { downloadRecording, isAllowedRecordingUrl, MAX_RECORDING_BYTES, type DownloadResult, type RecordingHostPolicy } from './recordings.js';
export { DEFAULT_REPLAY_GUARD_ENTRIES, MemoryReplayGuard, type CallbackReplayGuard, type MemoryReplayGuardOptions, type ReplayVerdict, type TokenUse } from './callback-replay.js';
export { DEFAULT_CALLBACK_TOKEN_WINDOW, verifyCallbackSignature, type CallbackToken, type CallbackTokenWindow, type SignatureCheck } from './signature.js';
export type {
  CallListPage,
  CallListQuery,
  CreateCallRequest,
  CreateCallResult,
  GetCallResult,
  HangupResult,
  ListCallsResult,
  ProviderCall,
  ProviderFailure,
  RequestPacer,
  Telephony,
} from './types.js';
export { VONAGE_OTHER_REQUESTS_PER_SECOND, VonageTelephony, type VonageTelephonyOptions } from './vonage.js';
