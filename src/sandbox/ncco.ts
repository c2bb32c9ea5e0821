import { z } from 'zod';
import { describeIssues } from './scenario.js';

/*
 * The NCCO actions the sandbox executes (reference §6), validated the way Vonage is strict about
 * them: every eventUrl/streamUrl is an array, ranges are enforced, and an invalid NCCO ends the
 * call with an error event. Unknown keys inside an action are ignored. connect and conversation
 * are recognised but not simulated: they are skipped and reported as NCCO problems.
 */

const httpUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}, 'expected an absolute http(s) URL');

const urlArray = z.array(httpUrl, { error: 'expected an array of one URL, e.g. ["https://app.example/hook"]' }).max(1, 'expected one URL');
const method = z.enum(['GET', 'POST'], { error: 'expected GET or POST' });

export const TalkAction = z.looseObject({
  action: z.literal('talk'),
  text: z.string().min(1, 'expected text').max(1500, 'expected at most 1500 characters'),
  bargeIn: z.boolean().optional(),
  loop: z.number().int().min(0).optional(),
  level: z.number().min(-1).max(1).optional(),
  language: z.string().optional(),
  style: z.number().int().min(0).optional(),
  premium: z.boolean().optional(),
});

export const StreamAction = z.looseObject({
  action: z.literal('stream'),
  streamUrl: urlArray.min(1, 'expected one URL'),
  bargeIn: z.boolean().optional(),
  loop: z.number().int().min(0).optional(),
  level: z.number().min(-1).max(1).optional(),
});

export const InputAction = z.looseObject({
  action: z.literal('input'),
  type: z.array(z.enum(['dtmf', 'speech'], { error: 'expected "dtmf" or "speech"' })).min(1, 'expected ["dtmf"], ["speech"] or both'),
  dtmf: z
    .looseObject({
      maxDigits: z.number().int().min(1).max(20).optional(),
      submitOnHash: z.boolean().optional(),
      timeOut: z.number().min(0).max(10).optional(),
    })
    .optional(),
  // Vonage's speech settings and ranges (NCCO reference, input `speech`).
  speech: z
    .looseObject({
      uuid: z.array(z.string()).optional(),
      language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'expected a BCP-47 language such as "pl-PL"').optional(),
      context: z.array(z.string(), { error: 'expected an array of hint phrases' }).optional(),
      endOnSilence: z.number().min(0.4).max(10).optional(),
      startTimeout: z.number().min(1).max(60).optional(),
      maxDuration: z.number().min(1).max(60).optional(),
      saveAudio: z.boolean().optional(),
      sensitivity: z.number().int().min(0).max(100).optional(),
    })
    .optional(),
  // An empty array means "the call's event_url"; the SDK's Input class sends one (reference §6).
  eventUrl: urlArray.optional(),
  eventMethod: method.optional(),
  mode: z.string().optional(),
});

export const RecordAction = z.looseObject({
  action: z.literal('record'),
  format: z.enum(['mp3', 'wav', 'ogg'], { error: 'expected mp3, wav or ogg' }).optional(),
  endOnSilence: z.number().min(3).max(10).optional(),
  endOnKey: z.string().regex(/^[0-9*#]$/, 'expected one key: 0-9, * or #').optional(),
  timeOut: z.number().min(3).max(7200).optional(),
  beepStart: z.boolean().optional(),
  eventUrl: urlArray.optional(),
  eventMethod: method.optional(),
  split: z.literal('conversation').optional(),
  channels: z.number().int().min(1).max(32).optional(),
  transcription: z
    .looseObject({
      language: z.string().optional(),
      eventUrl: urlArray.optional(),
      eventMethod: method.optional(),
      sentimentAnalysis: z.boolean().optional(),
    })
    .optional(),
});

export const NotifyAction = z.looseObject({
  action: z.literal('notify'),
  payload: z.record(z.string(), z.unknown(), { error: 'expected a JSON object' }),
  eventUrl: urlArray.min(1, 'expected one URL'),
  eventMethod: method.optional(),
});

const UnsupportedAction = z.looseObject({ action: z.enum(['connect', 'conversation']) });

const NccoAction = z.discriminatedUnion('action', [TalkAction, StreamAction, InputAction, RecordAction, NotifyAction, UnsupportedAction], {
  error: 'expected action to be one of talk, stream, input, record, notify, connect, conversation',
});

export type TalkAction = z.infer<typeof TalkAction>;
export type StreamAction = z.infer<typeof StreamAction>;
export type InputAction = z.infer<typeof InputAction>;
export type RecordAction = z.infer<typeof RecordAction>;
export type NotifyAction = z.infer<typeof NotifyAction>;
export type NccoAction = z.infer<typeof NccoAction>;

const Ncco = z.array(NccoAction, { error: 'expected an NCCO: a JSON array of actions' });

export type NccoParse = { ok: true; actions: NccoAction[]; warnings: string[] } | { ok: false; problems: string[] };

/** Validates an NCCO. `where` names its source in messages, e.g. "answer_url response". */
export function parseNcco(value: unknown, where: string): NccoParse {
  const parsed = Ncco.safeParse(value);
  if (!parsed.success) {
    return { ok: false, problems: describeIssues(parsed.error, value, `${where}: ncco`).map((line) => line.replace('ncco(root)', 'ncco')) };
  }
  const actions = parsed.data;
  const problems: string[] = [];
  // bargeIn: true needs an input as the next non-talk action (reference §6, talk).
  actions.forEach((action, index) => {
    if (action.action !== 'talk' || action.bargeIn !== true) return;
    const next = actions.slice(index + 1).find((a) => a.action !== 'talk');
    if (next?.action !== 'input') {
      problems.push(`${where}: ncco[${index}] talk has bargeIn true but the next non-talk action is ${next ? next.action : 'missing'}, not input`);
    }
  });
  if (problems.length > 0) return { ok: false, problems };
  const warnings = actions.flatMap((action, index) =>
    action.action === 'connect' || action.action === 'conversation'
      ? [`${where}: ncco[${index}] ${action.action} is not simulated by the sandbox and was skipped`]
      : [],
  );
  return { ok: true, actions, warnings };
}
