export { ReusingAuth } from './auth.js';
export { decimalToMicros, parseProviderTime, parseSeconds } from './money.js';
export { translateStatus } from './provider-status.js';
export { downloadRecording, isAllowedRecordingUrl, MAX_RECORDING_BYTES, type RecordingHostPolicy } from './recordings.js';
export { MemoryReplayGuard, type CallbackReplayGuard } from './callback-replay.js';
export { DEFAULT_CALLBACK_TOKEN_WINDOW, verifyCallbackSignature, type CallbackTokenWindow } from './signature.js';
export type {
  CallListQuery,
  CreateCallRequest,
  CreateCallResult,
  GetCallResult,
  HangupResult,
  ListCallsResult,
  ProviderCall,
  ProviderFailure,
  Telephony,
} from './types.js';
export { VONAGE_OTHER_REQUESTS_PER_SECOND, VonageTelephony } from './vonage.js';
