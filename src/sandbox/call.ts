import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../clock/index.js';
import type { Logger } from '../logging/index.js';
import { maskPhone } from '../logging/index.js';
import { audioKindFor, audioSizeBytes } from './audio.js';
import { INTER_KEY_SECONDS, type CalleeScript } from './callee.js';
import type { CreateCallRequest } from './create-call.js';
import type { ResolvedFaults } from './faults.js';
import type { FileStore } from './files.js';
import { isoWithMs, isoWithoutMs, priceFor, restTime } from './format.js';
import { parseNcco, type InputAction, type NccoAction, type NotifyAction, type RecordAction, type TalkAction } from './ncco.js';
import type { Random } from './random.js';
import { realNowMs } from './real-time.js';
import { languageIn, SPEECH_INPUT_DEFAULTS, type ResolvedSpeech } from './speech.js';
import type { Pcm, Synthesizer } from './synth.js';
import { poolComment } from './comments.js';
import { collectDtmf, DEFAULT_DTMF, planRecording, STREAM_SECONDS, talkSeconds, type CommentPlan } from './simulate.js';
import type { CallStatus, WebhookStats, SandboxCallRecord, SandboxInputRecord, SandboxRecordingRecord, SandboxTimelineEntry, TerminalStatus } from './types.js';
import { CallWebhookQueue, type PendingTracker, type WebhookResult, type WebhookSender } from './webhooks.js';

/** Simulated seconds from `started` to `ringing` (or to rejected/failed, which never ring). */
const SETUP_SECONDS = 1;
/** Vonage's defaults when the create request leaves the timers out (reference §1). */
const DEFAULT_RINGING_TIMER_SECONDS = 60;
const DEFAULT_LENGTH_TIMER_SECONDS = 7200;
const DEFAULT_RECORD_TIMEOUT_SECONDS = 7200;
const DEFAULT_BEEP_TIMEOUT_SECONDS = 45;

export interface CallContext {
  baseUrl: string;
  timeScale: number;
  clock: Clock;
  sender: WebhookSender;
  files: FileStore;
  speech: ResolvedSpeech;
  synthesizer: Synthesizer;
  tracker: PendingTracker;
  webhookStats: WebhookStats;
  ratePerMinute: string;
  answerWebhookTimeoutMs: number;
  eventWebhookTimeoutMs: number;
  closeSignal: AbortSignal;
  logger: Logger;
  reportNccoProblem(call: SandboxCall, problem: string): void;
  onFinished(call: SandboxCall): void;
}

/** Why a call ended; decides the terminal status and who disconnected. */
type EndReason =
  | { kind: 'scripted'; status: 'busy' | 'unanswered' | 'rejected' | 'failed' | 'timeout'; detail?: string; sipCode?: number }
  | { kind: 'api' }
  | { kind: 'callee' }
  | { kind: 'platform'; why: 'length_timer' | 'machine' | 'ncco_end' | 'error' };

/** Thrown inside the runner when the call ended while it waited (a deadline or an API hangup). */
class CallStopped extends Error {
  constructor() {
    super('call stopped');
    this.name = 'CallStopped';
  }
}

interface SideEvent {
  atMs: number;
  fire: () => void;
}

interface ActiveRecording {
  action: RecordAction;
  startMs: number;
  speechSeconds: number;
  spoken: SpokenComment | null;
  /** espeak-ng audio of the words, being synthesized; absent when silent or synthesis is off. */
  audio: Promise<Pcm | null> | undefined;
}

/** What the callee actually says at one record or speech input. */
interface SpokenComment {
  /** '' when a scripted comment has no text (the audio is then a tone, the transcript empty). */
  text: string;
  language: string;
  sentiment: number;
  confidence: number | undefined;
  seconds: number;
}

/** Work held back until `completed` has been queued (the recordingAfterCompleted fault). */
type Deferred = () => void;

export interface SandboxCallInit {
  uuid: string;
  request: CreateCallRequest;
  to: string;
  from: string;
  attemptIndex: number;
  script: CalleeScript;
  faults: ResolvedFaults;
  /** The call's seeded stream for fault draws. */
  random: Random;
  /** The call's seeded stream for speech-service draws (confidence, failures). */
  speechRandom: Random;
  context: CallContext;
}

/**
 * One call leg and the virtual line behind it. Simulated time is a cursor in milliseconds since
 * create; every step of the callee's script moves it forward by a scripted amount, and the runner
 * sleeps until real time catches up (cursor / timeScale). Reported times and durations come from
 * the cursor, so they are the same on every run with the same seed, however long the app takes to
 * answer its webhooks.
 */
export class SandboxCall {
  readonly uuid: string;
  readonly conversationUuid: string;
  readonly to: string;
  readonly from: string;
  readonly attemptIndex: number;
  readonly script: CalleeScript;
  readonly faults: ResolvedFaults;
  readonly createdWallMs: number;
  readonly #createdRealMs: number;
  readonly #request: CreateCallRequest;
  readonly #random: Random;
  readonly #speechRandom: Random;
  readonly #context: CallContext;
  readonly #queue: CallWebhookQueue;
  readonly #abort = new AbortController();
  readonly #signal: AbortSignal;
  readonly #log: Logger;

  #status: CallStatus = 'started';
  #cursorMs = 0;
  #deadline: { atMs: number; reason: EndReason } | null = null;
  #sideEvents: SideEvent[] = [];
  #answeredAtMs: number | null = null;
  #ended = false;
  #terminalQueued = false;
  #startedQueued = false;
  #machine: boolean | null = null;
  #talkCount = 0;
  #inputCount = 0;
  #activeRecording: ActiveRecording | null = null;
  #afterCompleted: Deferred[] = [];
  #durationSeconds: number | null = null;
  #endWallMs: number | null = null;
  #price: string | null = null;
  #disconnectedBy: 'user' | 'platform' | null = null;
  readonly #timeline: SandboxTimelineEntry[] = [];
  readonly #inputs: SandboxInputRecord[] = [];
  readonly #recordings: SandboxRecordingRecord[] = [];
  readonly #nccoProblems: string[] = [];
  #run: Promise<void> | null = null;

  constructor(init: SandboxCallInit) {
    this.uuid = init.uuid;
    this.conversationUuid = `CON-${randomUUID()}`;
    this.to = init.to;
    this.from = init.from;
    this.attemptIndex = init.attemptIndex;
    this.script = init.script;
    this.faults = init.faults;
    this.#request = init.request;
    this.#random = init.random;
    this.#speechRandom = init.speechRandom;
    this.#context = init.context;
    this.createdWallMs = init.context.clock.now();
    this.#createdRealMs = realNowMs();
    this.#signal = AbortSignal.any([this.#abort.signal, init.context.closeSignal]);
    this.#log = init.context.logger.child({ callUuid: this.uuid, to: maskPhone(this.to) });
    this.#queue = new CallWebhookQueue({
      sender: init.context.sender,
      faults: init.faults,
      random: init.random,
      stats: init.context.webhookStats,
      tracker: init.context.tracker,
      closeSignal: init.context.closeSignal,
    });
  }

  get status(): CallStatus {
    return this.#status;
  }

  get isLive(): boolean {
    return !this.#ended;
  }

  /** Simulated milliseconds since create, measured on the real-time axis. */
  elapsedSimulatedMs(): number {
    return (realNowMs() - this.#createdRealMs) * this.#context.timeScale;
  }

  /** Queues `started` now and resolves once the app has answered it (for the started-before-201 fault). */
  deliverStartedEarly(): Promise<void> {
    this.#startedQueued = true;
    // Not reorderable: the create response waits for this delivery, so holding it back for
    // out-of-order delivery (released by the next event, which only comes after the response)
    // would stall the create request until the client gives up.
    return this.#emitStatus('started', {}, this.#cursorMs, false);
  }

  start(): void {
    this.#run ??= this.#execute();
  }

  /** Waits for the runner to stop, e.g. when the sandbox closes. */
  async settled(): Promise<void> {
    await this.#run;
  }

  /** PUT {action:"hangup"}: ringing calls become cancelled, answered ones completed. */
  hangup(): boolean {
    if (this.#ended) return false;
    this.#finish({ kind: 'api' }, Math.max(this.#cursorMs, this.elapsedSimulatedMs()));
    return true;
  }

  // ---- runner ----------------------------------------------------------------------------------

  async #execute(): Promise<void> {
    try {
      if (!this.#startedQueued) void this.#emitStatus('started', {});
      await this.#ring();
    } catch (error) {
      // Whoever stopped the call (a deadline, an API hangup) has already finished it; a closing
      // sandbox leaves it as it is.
      if (error instanceof CallStopped || this.#signal.aborted) return;
      this.#log.error('call runner failed', { error });
      this.#finish({ kind: 'platform', why: 'error' }, this.#cursorMs);
    }
  }

  async #ring(): Promise<void> {
    const script = this.script;
    if (script.outcome === 'rejected' || script.outcome === 'failed') {
      this.#setDeadline(SETUP_SECONDS * 1000, { kind: 'scripted', status: script.outcome, detail: script.detail, sipCode: script.sipCode });
      await this.#advance(Number.POSITIVE_INFINITY);
      return;
    }
    await this.#advance(SETUP_SECONDS);
    void this.#emitStatus('ringing', {});
    const ringStartMs = this.#cursorMs;
    const ringingTimerSeconds = this.#request.ringing_timer ?? DEFAULT_RINGING_TIMER_SECONDS;
    this.#setDeadline(ringStartMs + ringingTimerSeconds * 1000, { kind: 'scripted', status: 'timeout' });
    switch (script.outcome) {
      case 'busy':
      case 'unanswered':
        this.#setDeadline(ringStartMs + script.ringSeconds * 1000, {
          kind: 'scripted',
          status: script.outcome,
          detail: script.detail,
          sipCode: script.sipCode,
        });
        await this.#advance(Number.POSITIVE_INFINITY);
        return;
      case 'timeout':
        await this.#advance(Number.POSITIVE_INFINITY);
        return;
      case 'answered':
      case 'machine':
        // Answering exactly when the ringing timer fires loses: the timer was set first.
        if (script.ringSeconds >= ringingTimerSeconds) {
          await this.#advance(Number.POSITIVE_INFINITY);
          return;
        }
        await this.#advance(script.ringSeconds);
        await this.#answered(script);
    }
  }

  async #answered(script: Extract<CalleeScript, { outcome: 'answered' | 'machine' }>): Promise<void> {
    this.#answeredAtMs = this.#cursorMs;
    this.#deadline = null;
    this.#setDeadline(this.#cursorMs + (this.#request.length_timer ?? DEFAULT_LENGTH_TIMER_SECONDS) * 1000, {
      kind: 'platform',
      why: 'length_timer',
    });
    // Vonage sends these three as present but null on `answered` (reference §5).
    void this.#emitStatus('answered', { start_time: null, rate: null, network: null });
    const synchronousDetection = this.#setUpMachineDetection(script);
    if (synchronousDetection) await this.#advance(script.detectSeconds);

    const actions = await this.#initialNcco();
    if (!actions) return;
    await this.#runNcco(actions);
    if (!this.#ended) this.#finish({ kind: 'platform', why: 'ncco_end' }, this.#cursorMs);
  }

  /**
   * Schedules the human/machine event (reference §5). Returns true when the NCCO must wait for
   * it: advanced detection in `detect`/`detect_beep` mode is synchronous; standard detection and
   * AMD `default` run alongside the NCCO.
   */
  #setUpMachineDetection(script: Extract<CalleeScript, { outcome: 'answered' | 'machine' }>): boolean {
    const advanced = this.#request.advanced_machine_detection;
    const standard = this.#request.machine_detection;
    if (!advanced && !standard) return false;
    const isMachine = script.outcome === 'machine';
    const hangUpOnMachine = (advanced?.behavior ?? standard) === 'hangup';
    const mode = advanced?.mode ?? 'detect';
    const answeredAtMs = this.#cursorMs;
    const detectAtMs = answeredAtMs + script.detectSeconds * 1000;
    this.#addSideEvent(detectAtMs, () => {
      this.#machine = isMachine;
      this.#emitDetection(isMachine ? 'machine' : 'human', detectAtMs);
      if (!isMachine) return;
      if (hangUpOnMachine) {
        this.#setDeadline(detectAtMs, { kind: 'platform', why: 'machine' });
        return;
      }
      if (advanced && mode !== 'detect' && script.outcome === 'machine') {
        const beepTimeoutSeconds = advanced.beep_timeout ?? DEFAULT_BEEP_TIMEOUT_SECONDS;
        const beepSeconds = Math.max(script.greetingSeconds, script.detectSeconds);
        const subState = beepSeconds <= beepTimeoutSeconds ? 'beep_start' : 'beep_timeout';
        const atMs = answeredAtMs + Math.min(beepSeconds, beepTimeoutSeconds) * 1000;
        this.#addSideEvent(atMs, () => this.#emitDetection('machine', atMs, subState));
      }
    });
    return advanced !== undefined && mode !== 'default';
  }

  /** The inline NCCO, or the one the answer_url returns; null when the call ended instead. */
  async #initialNcco(): Promise<NccoAction[] | null> {
    if (this.#request.ncco !== undefined) {
      const parsed = parseNcco(this.#request.ncco, 'create request');
      if (!parsed.ok) {
        this.#nccoFailed(parsed.problems, 'Syntax error in NCCO. Invalid value type or action.');
        return null;
      }
      parsed.warnings.forEach((warning) => this.#problem(warning));
      return parsed.actions;
    }
    await this.#queue.drained();
    this.#throwIfStopped();
    const result = await this.#context.sender.send({
      url: this.#request.answer_url![0]!,
      method: this.#request.answer_method ?? 'GET',
      payload: {
        to: this.to,
        from: this.from,
        uuid: this.uuid,
        conversation_uuid: this.conversationUuid,
        region_url: this.#context.baseUrl,
      },
      kind: 'answer',
      retry: 'ncco',
      timeoutMs: this.#context.answerWebhookTimeoutMs,
    });
    this.#throwIfStopped();
    if (!result.ok) {
      const reason = `Failed to get NCCO from answer_url after ${result.attempts} attempt(s): ${result.failure}`;
      // The callee was on the line, hearing nothing, through the second's pause before each retry
      // (the one simulated second WebhookSender waits): the call is billed for it, as on Vonage.
      this.#cursorMs += (result.attempts - 1) * 1000;
      this.#nccoFailed([`answer_url: ${result.failure}`], reason);
      return null;
    }
    const parsed = parseNcco(parseJson(result.bodyText), 'answer_url response');
    if (!parsed.ok) {
      this.#nccoFailed(parsed.problems, 'Syntax error in NCCO. Invalid value type or action.');
      return null;
    }
    if (parsed.actions.length === 0) this.#problem('answer_url response: empty NCCO, the call was hung up');
    parsed.warnings.forEach((warning) => this.#problem(warning));
    return parsed.actions;
  }

  async #runNcco(initial: NccoAction[]): Promise<void> {
    let actions = initial;
    let index = 0;
    while (index < actions.length && !this.#ended) {
      const action = actions[index++]!;
      let replacement: NccoAction[] | null = null;
      switch (action.action) {
        case 'talk':
          await this.#talk(action);
          break;
        case 'stream': {
          const loop = action.loop ?? 1;
          await this.#advance(loop === 0 ? Number.POSITIVE_INFINITY : STREAM_SECONDS * loop);
          break;
        }
        case 'input':
          replacement = await this.#input(action);
          break;
        case 'record':
          await this.#record(action);
          break;
        case 'notify':
          replacement = await this.#notify(action);
          break;
        case 'connect':
        case 'conversation':
          break; // reported when the NCCO was parsed
      }
      if (replacement) {
        actions = replacement;
        index = 0;
      }
    }
  }

  async #talk(action: TalkAction): Promise<void> {
    const seconds = talkSeconds(action.text, action.loop ?? 1);
    const isGreeting = this.#talkCount++ === 0;
    const hangup = this.script.outcome === 'answered' ? this.script.hangup : null;
    if (isGreeting && hangup?.during === 'greeting') {
      const afterSeconds = hangup.afterSeconds ?? (Number.isFinite(seconds) ? seconds / 2 : 1);
      this.#setDeadline(this.#cursorMs + afterSeconds * 1000, { kind: 'callee' });
    }
    await this.#advance(seconds);
  }

  async #input(action: InputAction): Promise<NccoAction[] | null> {
    const prompt = this.#inputCount++;
    const script = this.script;
    const keys = script.outcome === 'answered' ? (script.keys[prompt] ?? '') : '';
    const thinkSeconds = script.outcome === 'answered' ? script.thinkSeconds : 0;
    if (script.outcome === 'answered' && script.hangup?.during === 'question' && (script.hangup.prompt ?? 0) === prompt) {
      this.#setDeadline(this.#cursorMs + (script.hangup.afterSeconds ?? 1) * 1000, { kind: 'callee' });
    }
    const wantsDtmf = action.type.includes('dtmf');
    const wantsSpeech = action.type.includes('speech');
    const settings = {
      maxDigits: action.dtmf?.maxDigits ?? DEFAULT_DTMF.maxDigits,
      submitOnHash: action.dtmf?.submitOnHash ?? DEFAULT_DTMF.submitOnHash,
      timeOutSeconds: action.dtmf?.timeOut ?? DEFAULT_DTMF.timeOutSeconds,
    };
    // A speech-only input is a question answered in words: the callee speaks their comment.
    // With dtmf too, the callee answers on the keypad (a silent speech result) as before.
    if (wantsSpeech && !wantsDtmf) return this.#speechInput(action, prompt);
    const result = wantsDtmf
      ? collectDtmf(keys, settings, { thinkSeconds, interKeySeconds: INTER_KEY_SECONDS })
      : { digits: '', timedOut: true, elapsedSeconds: SPEECH_INPUT_DEFAULTS.startTimeoutSeconds };
    await this.#advance(result.elapsedSeconds);
    const record: SandboxInputRecord = { prompt, digits: result.digits, timedOut: result.timedOut, delivered: false };
    this.#inputs.push(record);

    // Input results carry no `status` (reference §5, §6).
    const payload: Record<string, unknown> = {
      speech: wantsSpeech ? { timeout_reason: 'start_timeout', results: [] } : { error: 'Speech was not enabled' },
      ...(wantsDtmf ? { dtmf: { digits: result.digits, timed_out: result.timedOut } } : {}),
      ...this.#inputParties(),
    };
    return this.#sendInput(action, prompt, payload, record);
  }

  async #sendInput(action: InputAction, prompt: number, payload: Record<string, unknown>, record: SandboxInputRecord): Promise<NccoAction[] | null> {
    await this.#queue.drained();
    this.#throwIfStopped();
    const response = await this.#context.sender.send({
      ...this.#hookTarget(action.eventUrl, action.eventMethod),
      payload,
      kind: 'input',
      retry: 'ncco',
      timeoutMs: this.#context.eventWebhookTimeoutMs,
    });
    record.delivered = response.ok;
    this.#throwIfStopped();
    return this.#nccoFromHook(response, `input[${prompt}] response`);
  }

  /**
   * An input with type ["speech"] (Vonage's speech recognition, NCCO reference `input`): the
   * callee's comment comes back as `speech.results[0]` with a confidence, ended by endOnSilence
   * or maxDuration; a silent callee gives no results after startTimeout.
   */
  async #speechInput(action: InputAction, prompt: number): Promise<NccoAction[] | null> {
    const options = action.speech ?? {};
    const language = options.language ?? SPEECH_INPUT_DEFAULTS.language;
    const endOnSilence = options.endOnSilence ?? SPEECH_INPUT_DEFAULTS.endOnSilenceSeconds;
    const startTimeout = options.startTimeout ?? SPEECH_INPUT_DEFAULTS.startTimeoutSeconds;
    const maxDuration = options.maxDuration ?? SPEECH_INPUT_DEFAULTS.maxDurationSeconds;
    const settings = this.#context.speech.recognition;
    const spoken = this.#spokenComment(language);
    const script = this.script;
    if (script.outcome === 'answered' && script.hangup?.during === 'comment') {
      this.#setDeadline(this.#cursorMs + (script.hangup.afterSeconds ?? 1) * 1000, { kind: 'callee' });
    }
    if (spoken && script.outcome === 'answered' && script.comment?.end === 'hangup') {
      this.#setDeadline(this.#cursorMs + spoken.seconds * 1000, { kind: 'callee' });
    }
    const startMs = this.#cursorMs;
    const speaking = spoken !== null && spoken.text !== '';
    const spokenSeconds = speaking ? Math.min(spoken.seconds, maxDuration) : 0;
    const maxed = speaking && spoken.seconds >= maxDuration;
    // Synthesis starts now, off the webhook path; only a download of the audio waits for it.
    const audio = speaking && options.saveAudio === true && this.#context.synthesizer.available ? this.#context.synthesizer.speak(spoken.text, spoken.language) : undefined;
    await this.#advance(speaking ? spokenSeconds + (maxed ? 0 : endOnSilence) : startTimeout);

    let speech: Record<string, unknown>;
    if (!languageIn(language, settings.languages)) {
      // The wording of Vonage's error is UNCONFIRMED; the app must only rely on `error` being there.
      speech = { error: `Language ${language} is not supported` };
    } else if (this.#speechRandom.chance(settings.errorRate)) {
      speech = { error: 'Speech recognition failed' };
    } else {
      const confidence = this.#speechRandom.chance(settings.lowConfidenceRate) ? settings.lowConfidence : (spoken?.confidence ?? settings.confidence);
      speech = {
        timeout_reason: !speaking ? 'start_timeout' : maxed ? 'max_duration' : 'end_on_silence_timeout',
        results: speaking ? [{ text: spoken.text, confidence: settings.confidenceType === 'string' ? String(confidence) : confidence }] : [],
      };
      if (options.saveAudio === true && !this.#speechRandom.chance(settings.missingRecordingUrlRate)) {
        const fileId = randomUUID();
        const durationSeconds = Math.max(0.1, (this.#cursorMs - startMs) / 1000);
        this.#context.files.add(fileId, {
          kind: 'audio',
          audio: 'wav',
          durationSeconds,
          speechSeconds: spokenSeconds,
          notFoundRemaining: this.faults.recordingNotFoundDownloads,
          ...(audio ? { speech: audio } : {}),
        });
        speech.recording_url = `${this.#context.baseUrl}/v1/files/${fileId}`;
      }
    }
    const record: SandboxInputRecord = { prompt, digits: '', timedOut: false, speechText: speaking ? spoken.text : '', delivered: false };
    this.#inputs.push(record);
    const payload: Record<string, unknown> = {
      speech,
      // A speech-only result's dtmf part, as in the docs' example.
      dtmf: { digits: null, timed_out: false },
      ...this.#inputParties(),
    };
    return this.#sendInput(action, prompt, payload, record);
  }

  /** The fields every input result ends with: the call's parties and ids, and the time now. */
  #inputParties(): Record<string, unknown> {
    return { from: this.from, to: this.to, uuid: this.uuid, conversation_uuid: this.conversationUuid, timestamp: isoWithMs(this.#wallAt(this.#cursorMs)) };
  }

  /** The callee's words at a record or speech input asked in `requestedLanguage`, or null when they stay silent. */
  #spokenComment(requestedLanguage: string | undefined): SpokenComment | null {
    const script = this.script;
    if (script.outcome !== 'answered' || !script.comment) return null;
    const comment = script.comment;
    if (comment.text !== undefined || !comment.pool) {
      return {
        text: comment.text ?? '',
        language: comment.language ?? requestedLanguage ?? 'en-US',
        sentiment: comment.sentiment ?? 0,
        confidence: comment.confidence,
        seconds: comment.seconds,
      };
    }
    const drawn = poolComment(comment.pool.kind, comment.language ?? requestedLanguage, comment.pool.draw);
    return { text: drawn.text, language: drawn.language, sentiment: comment.sentiment ?? drawn.sentiment, confidence: comment.confidence, seconds: comment.seconds };
  }

  async #notify(action: NotifyAction): Promise<NccoAction[] | null> {
    await this.#queue.drained();
    this.#throwIfStopped();
    const response = await this.#context.sender.send({
      ...this.#hookTarget(action.eventUrl, action.eventMethod),
      payload: { payload: action.payload, conversation_uuid: this.conversationUuid, timestamp: isoWithMs(this.#wallAt(this.#cursorMs)) },
      kind: 'notify',
      retry: 'ncco',
      timeoutMs: this.#context.eventWebhookTimeoutMs,
    });
    this.#throwIfStopped();
    return this.#nccoFromHook(response, 'notify response');
  }

  /**
   * A record action. With endOnSilence, endOnKey or timeOut it holds the NCCO while the callee
   * speaks, then the NCCO continues at once; the recording webhook follows asynchronously through
   * the call's webhook queue. Without any of them it records in the background until timeOut or
   * the end of the call (reference §6).
   */
  async #record(action: RecordAction): Promise<void> {
    const script = this.script;
    const comment: CommentPlan | null =
      script.outcome === 'answered' && script.comment ? { speechSeconds: script.comment.seconds, end: script.comment.end ?? 'silence' } : null;
    const startMs = this.#cursorMs;
    const timeOutSeconds = action.timeOut ?? DEFAULT_RECORD_TIMEOUT_SECONDS;
    const spoken = this.#spokenComment(action.transcription ? (action.transcription.language ?? 'en-US') : undefined);
    this.#activeRecording = {
      action,
      startMs,
      speechSeconds: comment?.speechSeconds ?? 0,
      spoken,
      // Synthesis starts with the recording, off the webhook path; only a download waits for it.
      audio: spoken?.text && this.#context.synthesizer.available ? this.#context.synthesizer.speak(spoken.text, spoken.language) : undefined,
    };
    if (script.outcome === 'answered' && script.hangup?.during === 'comment') {
      this.#setDeadline(startMs + (script.hangup.afterSeconds ?? 1) * 1000, { kind: 'callee' });
    }
    if (comment?.end === 'hangup') this.#setDeadline(startMs + comment.speechSeconds * 1000, { kind: 'callee' });

    const synchronous = action.endOnSilence !== undefined || action.endOnKey !== undefined || action.timeOut !== undefined;
    if (!synchronous) {
      const recording = this.#activeRecording;
      this.#addSideEvent(startMs + timeOutSeconds * 1000, () => {
        if (this.#activeRecording === recording) this.#completeRecording(startMs + timeOutSeconds * 1000);
      });
      return;
    }
    const plan = planRecording(comment, { endOnKey: action.endOnKey, endOnSilenceSeconds: action.endOnSilence, timeOutSeconds }, INTER_KEY_SECONDS);
    await this.#advance(plan.durationSeconds);
    this.#completeRecording(this.#cursorMs);
  }

  #completeRecording(endMs: number): void {
    const recording = this.#activeRecording;
    if (!recording) return;
    this.#activeRecording = null;
    const durationSeconds = Math.max(0, (endMs - recording.startMs) / 1000);
    const format = recording.action.format ?? 'mp3';
    // Real speech is served as WAV whatever the format asked: the sandbox has no mp3 encoder.
    const audio = recording.audio ? 'wav' : audioKindFor(format);
    const fileId = randomUUID();
    const recordingUuid = randomUUID();
    const url = `${this.#context.baseUrl}/v1/files/${fileId}`;
    const sizeBytes = audioSizeBytes(audio, durationSeconds);
    this.#context.files.add(fileId, {
      kind: 'audio',
      audio,
      durationSeconds,
      speechSeconds: Math.min(recording.speechSeconds, durationSeconds),
      notFoundRemaining: this.faults.recordingNotFoundDownloads,
      ...(recording.audio ? { speech: recording.audio } : {}),
    });
    this.#recordings.push({ fileId, recordingUuid, url, format, durationSeconds, sizeBytes });

    // The record webhook has no leg uuid and no status; times have no milliseconds (reference §6).
    const payload = {
      start_time: isoWithoutMs(this.#wallAt(recording.startMs)),
      recording_url: url,
      size: sizeBytes,
      recording_uuid: recordingUuid,
      end_time: isoWithoutMs(this.#wallAt(endMs)),
      conversation_uuid: this.conversationUuid,
      timestamp: isoWithMs(this.#wallAt(endMs)),
    };
    const send = (): void => {
      void this.#queue.enqueue(
        { ...this.#hookTarget(recording.action.eventUrl, recording.action.eventMethod), payload, kind: 'record', retry: 'status', timeoutMs: this.#context.eventWebhookTimeoutMs },
        { reorderable: false },
      );
      if (recording.action.transcription) this.#sendTranscription(recording, recordingUuid, endMs);
    };
    if (!this.#terminalQueued && this.#random.chance(this.faults.recordingAfterCompleted)) this.#afterCompleted.push(send);
    else send();
  }

  /**
   * The record action's `transcription` (reference §6): a webhook with `status: "transcribed"` and
   * a `transcription_url` whose JSON holds the words per channel. A silent recording gives a
   * transcript with no sentences; a language outside `speech.transcription.languages` gives
   * `status: "failed"` (or is transcribed anyway, by setting).
   */
  #sendTranscription(recording: ActiveRecording, recordingUuid: string, endMs: number): void {
    const transcription = recording.action.transcription!;
    const settings = this.#context.speech.transcription;
    const random = this.#speechRandom;
    const language = transcription.language ?? 'en-US';
    const dropped = random.chance(settings.dropRate);
    const duplicate = random.chance(settings.duplicateRate);
    const delayMs = settings.delayMs ? Math.round(random.between(settings.delayMs[0], settings.delayMs[1])) : 0;
    if (dropped) return;
    const base = { conversation_uuid: this.conversationUuid, recording_uuid: recordingUuid, type: 'record', timestamp: isoWithMs(this.#wallAt(endMs)) };
    let payload: Record<string, unknown>;
    if (!languageIn(language, settings.languages) && settings.unsupportedLanguage === 'failed') {
      // The failure webhook's exact fields are UNCONFIRMED: status "failed" and no transcription_url.
      payload = { ...base, status: 'failed', error: `Language ${language} is not supported` };
    } else {
      const fileId = randomUUID();
      this.#context.files.add(fileId, {
        kind: 'transcription',
        notFoundRemaining: 0,
        serverErrorRate: settings.downloadErrorRate,
        random,
        document: this.#transcript(recording, transcription.sentimentAnalysis === true),
      });
      payload = { ...base, status: 'transcribed', transcription_url: `${this.#context.baseUrl}/v1/files/${fileId}` };
    }
    const target = transcription.eventUrl?.[0]
      ? this.#hookTarget(transcription.eventUrl, transcription.eventMethod)
      : this.#hookTarget(recording.action.eventUrl, recording.action.eventMethod);
    const enqueue = (): void => {
      const request = { ...target, payload, kind: 'transcription', retry: 'status' as const, timeoutMs: this.#context.eventWebhookTimeoutMs };
      void this.#queue.enqueue(request, { reorderable: false });
      if (duplicate) {
        this.#context.webhookStats.duplicated++;
        void this.#queue.enqueue(request, { reorderable: false });
      }
    };
    if (delayMs <= 0) return enqueue();
    // Transcription takes its own time: it must not hold up the call's other webhooks.
    this.#context.tracker.begin();
    delay(delayMs, undefined, { signal: this.#context.closeSignal })
      .then(enqueue, () => undefined)
      .finally(() => this.#context.tracker.end());
  }

  /** The transcript document (reference §6; .NET TranscriptionSample.json). */
  #transcript(recording: ActiveRecording, sentimentAnalysis: boolean): Record<string, unknown> {
    const settings = this.#context.speech.transcription;
    const spoken = recording.spoken;
    const text = spoken?.text ?? '';
    const confidence = spoken?.confidence ?? settings.confidence;
    const speechMs = Math.round(recording.speechSeconds * 1000);
    const words = text.split(/\s+/).filter((word) => word !== '');
    const perWordMs = words.length > 0 ? Math.max(1, Math.floor(speechMs / words.length)) : 0;
    const sentiment = sentimentAnalysis && settings.sentimentShape !== 'none' ? { sentiment: spoken?.sentiment ?? 0 } : {};
    const transcript =
      words.length === 0
        ? []
        : [
            {
              sentence: text,
              raw_sentence: text.toLowerCase().replace(/[^\p{L}\p{N}\s']/gu, '').replace(/\s+/g, ' ').trim(),
              timestamp: 0,
              duration: speechMs,
              words: words.map((word, index) => ({ word, start_time: index * perWordMs, end_time: (index + 1) * perWordMs, confidence })),
              ...(settings.sentimentShape === 'sentence' ? sentiment : {}),
            },
          ];
    return {
      ver: '1.0.19',
      request_id: randomUUID(),
      channels: [{ transcript, duration: recording.speechSeconds, ...(settings.sentimentShape === 'channel' ? sentiment : {}) }],
    };
  }

  /** Reads an input/notify response: a new NCCO replaces the rest, anything else continues. */
  #nccoFromHook(response: WebhookResult, where: string): NccoAction[] | null {
    // A failed hook lets the call flow continue (reference §5, "Fallback URL").
    if (!response.ok) return null;
    const body = parseJson(response.bodyText);
    if (!Array.isArray(body) || body.length === 0) return null;
    const parsed = parseNcco(body, where);
    if (!parsed.ok) {
      this.#nccoFailed(parsed.problems, 'Syntax error in NCCO. Invalid value type or action.');
      throw new CallStopped();
    }
    parsed.warnings.forEach((warning) => this.#problem(warning));
    return parsed.actions;
  }

  /** An NCCO that cannot run: error event on the event_url, then the call is disconnected. */
  #nccoFailed(problems: string[], reason: string): void {
    problems.forEach((problem) => this.#problem(problem));
    void this.#queue.enqueue(
      {
        ...this.#hookTarget(undefined, undefined),
        payload: { reason, conversation_uuid: this.conversationUuid, timestamp: isoWithMs(this.#wallAt(this.#cursorMs)) },
        kind: 'error',
        retry: 'status',
        timeoutMs: this.#context.eventWebhookTimeoutMs,
      },
      { reorderable: false },
    );
    this.#finish({ kind: 'platform', why: 'error' }, this.#cursorMs);
  }

  #problem(problem: string): void {
    this.#nccoProblems.push(problem);
    this.#context.reportNccoProblem(this, problem);
  }

  /** An action's own eventUrl, else the call's event_url (an empty array counts as none). */
  #hookTarget(eventUrl: string[] | undefined, eventMethod: 'GET' | 'POST' | undefined): { url: string; method: 'GET' | 'POST' } {
    const own = eventUrl?.[0];
    if (own) return { url: own, method: eventMethod ?? 'POST' };
    return { url: this.#request.event_url[0]!, method: this.#request.event_method ?? 'POST' };
  }

  // ---- simulated time ------------------------------------------------------------------------

  #wallAt(cursorMs: number): number {
    return this.createdWallMs + Math.round(cursorMs);
  }

  /** Keeps the earliest deadline; on a tie the one set first wins. */
  #setDeadline(atMs: number, reason: EndReason): void {
    if (this.#deadline === null || atMs < this.#deadline.atMs) this.#deadline = { atMs, reason };
  }

  #addSideEvent(atMs: number, fire: () => void): void {
    this.#sideEvents.push({ atMs, fire });
    this.#sideEvents.sort((a, b) => a.atMs - b.atMs);
  }

  /**
   * Lets `seconds` of simulated time pass, firing side events (machine detection, background
   * recording limits) on the way. Throws CallStopped if the call ends meanwhile: a deadline such as
   * a callee hang-up or the length timer, an API hangup, or the sandbox closing.
   */
  async #advance(seconds: number): Promise<void> {
    const targetMs = this.#cursorMs + seconds * 1000;
    for (;;) {
      this.#throwIfStopped();
      const sideMs = this.#sideEvents[0]?.atMs ?? Number.POSITIVE_INFINITY;
      const deadlineMs = this.#deadline?.atMs ?? Number.POSITIVE_INFINITY;
      const stopMs = Math.min(targetMs, sideMs, deadlineMs);
      if (!Number.isFinite(stopMs)) throw new Error('simulated time would run forever: no deadline and no end');
      await this.#sleepUntil(stopMs);
      this.#cursorMs = Math.max(this.#cursorMs, stopMs);
      if (sideMs <= stopMs) {
        this.#sideEvents.shift()!.fire();
        continue;
      }
      if (deadlineMs <= stopMs) {
        this.#finish(this.#deadline!.reason, deadlineMs);
        throw new CallStopped();
      }
      return;
    }
  }

  async #sleepUntil(cursorMs: number): Promise<void> {
    const waitMs = this.#createdRealMs + cursorMs / this.#context.timeScale - realNowMs();
    if (waitMs >= 1) {
      try {
        await delay(waitMs, undefined, { signal: this.#signal });
      } catch {
        throw new CallStopped();
      }
    }
    this.#throwIfStopped();
  }

  #throwIfStopped(): void {
    if (this.#ended || this.#signal.aborted) throw new CallStopped();
  }

  // ---- events and the end of the call ---------------------------------------------------------

  #emitStatus(status: CallStatus, extra: Record<string, unknown>, atMs = this.#cursorMs, reorderable = true): Promise<void> {
    this.#status = status;
    const timestamp = isoWithMs(this.#wallAt(atMs));
    this.#timeline.push({ status, timestamp, atSeconds: atMs / 1000 });
    return this.#queue.enqueue(
      {
        ...this.#hookTarget(undefined, undefined),
        payload: {
          ...extra,
          from: this.from,
          to: this.to,
          uuid: this.uuid,
          conversation_uuid: this.conversationUuid,
          status,
          direction: 'outbound',
          timestamp,
        },
        kind: status,
        retry: 'status',
        timeoutMs: this.#context.eventWebhookTimeoutMs,
      },
      { reorderable },
    );
  }

  /** human/machine events name the leg `call_uuid`, not `uuid`, and have no direction (reference §5). */
  #emitDetection(status: 'human' | 'machine', atMs: number, subState?: 'beep_start' | 'beep_timeout'): void {
    const timestamp = isoWithMs(this.#wallAt(atMs));
    this.#timeline.push({ status: subState ? `${status}:${subState}` : status, timestamp, atSeconds: atMs / 1000 });
    void this.#queue.enqueue(
      {
        ...this.#hookTarget(undefined, undefined),
        payload: {
          call_uuid: this.uuid,
          from: this.from,
          to: this.to,
          status,
          ...(subState ? { sub_state: subState } : {}),
          conversation_uuid: this.conversationUuid,
          timestamp,
        },
        kind: status,
        retry: 'status',
        timeoutMs: this.#context.eventWebhookTimeoutMs,
      },
      { reorderable: true },
    );
  }

  #finish(reason: EndReason, atMs: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#cursorMs = Math.max(this.#cursorMs, atMs);
    this.#sideEvents = [];
    // A recording in progress is cut by the hang-up and its webhook still goes out.
    this.#completeRecording(atMs);
    const rate = this.#context.ratePerMinute;
    if (this.#answeredAtMs !== null) {
      const durationSeconds = Math.max(0, Math.round((atMs - this.#answeredAtMs) / 1000));
      const startWallMs = Math.floor(this.#wallAt(this.#answeredAtMs) / 1000) * 1000;
      this.#durationSeconds = durationSeconds;
      this.#endWallMs = startWallMs + durationSeconds * 1000;
      this.#price = priceFor(rate, durationSeconds);
      this.#disconnectedBy = reason.kind === 'callee' ? 'user' : 'platform';
      const network = this.script.outcome === 'answered' || this.script.outcome === 'machine' ? this.script.network : 'SANDBOX';
      void this.#emitStatus(
        'completed',
        {
          start_time: isoWithMs(startWallMs),
          end_time: isoWithMs(this.#endWallMs),
          duration: String(durationSeconds),
          rate,
          price: this.#price,
          network,
          disconnected_by: this.#disconnectedBy,
        },
        atMs,
      );
    } else {
      const status: TerminalStatus = reason.kind === 'api' ? 'cancelled' : reason.kind === 'scripted' ? reason.status : 'failed';
      const extra: Record<string, unknown> = {};
      if (reason.kind === 'scripted' && reason.detail !== undefined) extra.detail = reason.detail;
      if (reason.kind === 'scripted' && reason.sipCode !== undefined) extra.sip_code = reason.sipCode;
      void this.#emitStatus(status, extra, atMs);
      if (this.faults.completedAfterFailure) {
        const endWallMs = this.#wallAt(atMs);
        void this.#emitStatus(
          'completed',
          { start_time: isoWithMs(endWallMs), end_time: isoWithMs(endWallMs), duration: '0', rate, price: priceFor(rate, 0), network: 'SANDBOX' },
          atMs,
        );
        this.#status = status;
      }
    }
    this.#terminalQueued = true;
    for (const deferred of this.#afterCompleted.splice(0)) deferred();
    this.#queue.flush();
    this.#abort.abort();
    this.#log.debug('call ended', { status: this.#status, reason: reason.kind });
    this.#context.onFinished(this);
  }

  // ---- views ----------------------------------------------------------------------------------

  /** The GET /v1/calls/:uuid object; billing fields appear only once the call completed (reference §2). */
  restView(): Record<string, unknown> {
    const completed = this.#status === 'completed' && this.#durationSeconds !== null;
    const startWallMs = this.#answeredAtMs !== null ? this.#wallAt(this.#answeredAtMs) : this.createdWallMs;
    return {
      _links: { self: { href: `/v1/calls/${this.uuid}` } },
      uuid: this.uuid,
      conversation_uuid: this.conversationUuid,
      to: { type: 'phone', number: this.to },
      from: { type: 'phone', number: this.from },
      status: this.#status,
      direction: 'outbound',
      start_time: restTime(startWallMs),
      ...(completed
        ? {
            rate: this.#context.ratePerMinute,
            price: this.#price,
            duration: String(this.#durationSeconds),
            end_time: restTime(this.#endWallMs!),
            network: this.script.outcome === 'answered' || this.script.outcome === 'machine' ? this.script.network : 'SANDBOX',
          }
        : {}),
    };
  }

  record(): SandboxCallRecord {
    return {
      uuid: this.uuid,
      conversationUuid: this.conversationUuid,
      to: this.to,
      from: this.from,
      attempt: this.attemptIndex + 1,
      scriptedOutcome: this.script.outcome,
      status: this.#status,
      timeline: this.#timeline.map((entry) => ({ ...entry })),
      answered: this.#answeredAtMs !== null,
      machine: this.#machine,
      inputs: this.#inputs.map((input) => ({ ...input })),
      recordings: this.#recordings.map((recording) => ({ ...recording })),
      durationSeconds: this.#durationSeconds,
      price: this.#price,
      rate: this.#durationSeconds !== null ? this.#context.ratePerMinute : null,
      disconnectedBy: this.#disconnectedBy,
      nccoProblems: [...this.#nccoProblems],
    };
  }
}

function parseJson(text: string | null): unknown {
  if (text === null || text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
