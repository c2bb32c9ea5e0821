import type { Clock } from '../clock/index.js';
import type { Logger } from '../logging/index.js';
import type { ListSettingsBook } from '../contacts/index.js';
import type { DialerGauges } from './gauges.js';
import type { CallSignals } from './signals.js';
import type { CallUnits } from './units.js';

/** What the call-handling functions are given; built once per process by the composition root. */
export interface CallDeps {
  /** The stores of calls, responses, contacts, billing and follow-up, and their unit of work. */
  units: CallUnits;
  clock: Clock;
  logger: Logger;
  signals: CallSignals;
  lists: ListSettingsBook;
  /** Survey languages whose comments the provider transcribes (TRANSCRIPTION_LANGUAGES); none when absent. */
  transcriptionLanguages?: readonly string[] | undefined;
  /** This process's in-memory figures (429s, webhook times) for the operator's console; absent in tests that need none. */
  gauges?: DialerGauges | undefined;
  /** Called after a low score opened a case and queued its alert (the runtime wakes its delivery worker). */
  onFollowUp?: (() => void) | undefined;
}
