import { z } from 'zod';
import { DEFAULT_IVR_SETTINGS, type IvrContext, type Ncco, type NccoAction } from './ncco.js';
import { reasonTexts, SURVEY_LANGUAGES, type SurveyLanguage } from './texts.js';

/**
 * The keypad reason question (issue 16): after the score, "What is the main reason for your
 * score? Press 1 for price, 2 for quality, …" with the list's own choices. Pure: settings, wording,
 * NCCO and the meaning of a key; the webhook side is src/dialer/reason-step.ts.
 */

/** The two input steps of the reason question: the first asking and the one re-prompt. */
export const REASON_STEPS = ['reason', 'reason_reprompt'] as const;
export type ReasonStep = (typeof REASON_STEPS)[number];

export const MAX_REASON_CHOICES = 9;
const LABEL_MAX = 80;
const QUESTION_MAX = 300;
/** Theme-like ids, so that keypad reasons and comment themes can be joined in the report. */
const KEY_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

const Wording = (max: number, what: string) =>
  z.record(z.string(), z.string()).superRefine((wording, ctx) => {
    const entries = Object.entries(wording);
    if (entries.length === 0) ctx.addIssue({ code: 'custom', message: `${what} gives no language; use one or more of ${SURVEY_LANGUAGES.join(', ')}` });
    for (const [language, text] of entries) {
      if (!(SURVEY_LANGUAGES as readonly string[]).includes(language)) {
        ctx.addIssue({ code: 'custom', path: [language], message: `${what}: language '${language}' is not a built-in survey language; use ${SURVEY_LANGUAGES.join(', ')}` });
      } else if (text.trim().length === 0 || text.trim().length > max) {
        ctx.addIssue({ code: 'custom', path: [language], message: `${what} in ${language} must be 1 to ${max} characters, got ${text.trim().length}` });
      }
    }
  });

export const ReasonChoice = z.object({
  key: z.string(),
  label: z.record(z.string(), z.string()),
});
export type ReasonChoice = z.infer<typeof ReasonChoice>;

/**
 * A list's reason question. `choices` absent means the built-in ones (DEFAULT_REASON_CHOICES);
 * `question` absent, or absent in a language, means the built-in question in that language. Digits
 * are the choices' positions, 1 to n in order.
 */
export const ReasonSettings = z
  .object({
    enabled: z.boolean(),
    choices: z.array(ReasonChoice).optional(),
    question: z.record(z.string(), z.string()).optional(),
  })
  .superRefine((settings, ctx) => {
    for (const issue of reasonSettingsProblems(settings)) ctx.addIssue({ code: 'custom', message: issue });
  });
export type ReasonSettings = z.infer<typeof ReasonSettings>;

const describeChoice = (choice: unknown, index: number) => {
  const key = typeof choice === 'object' && choice !== null && typeof (choice as { key?: unknown }).key === 'string' ? ` ('${(choice as { key: string }).key}')` : '';
  return `reason choice ${index + 1}${key}`;
};

/**
 * Every problem of a reason setting, each naming the choice, the language and what is accepted.
 * Kept as one function (rather than nested zod schemas) so that the messages of a bad
 * `--reasons-file` read the same whether they come from the CLI or from a stored row.
 */
export function reasonSettingsProblems(settings: { choices?: ReasonChoice[] | undefined; question?: Record<string, string> | undefined }): string[] {
  const problems: string[] = [];
  const choices = settings.choices;
  if (choices !== undefined) {
    if (choices.length < 1 || choices.length > MAX_REASON_CHOICES) problems.push(`reasons need 1 to ${MAX_REASON_CHOICES} choices (keys 1 to 9), got ${choices.length}`);
    const seen = new Map<string, number>();
    choices.forEach((choice, index) => {
      const name = describeChoice(choice, index);
      if (!KEY_PATTERN.test(choice.key)) problems.push(`${name}: key '${choice.key}' is not accepted; use a theme-like id of lower-case letters, digits and _ starting with a letter (e.g. price, product_quality), at most 32 characters`);
      const earlier = seen.get(choice.key);
      if (earlier !== undefined) problems.push(`${name}: key '${choice.key}' is already choice ${earlier + 1}; keys must differ`);
      else seen.set(choice.key, index);
      problems.push(...wordingProblems(choice.label, LABEL_MAX, `${name}, label`));
    });
    // A callee hears the question in one language: every choice must be sayable in it.
    const first = choices[0];
    if (first) {
      const languages = Object.keys(first.label).sort().join(',');
      choices.slice(1).forEach((choice, offset) => {
        for (const language of SURVEY_LANGUAGES) {
          if ((language in first.label) !== (language in choice.label)) {
            const [has, lacks] = language in first.label ? [1, offset + 2] : [offset + 2, 1];
            problems.push(`${describeChoice(choice, offset + 1)}: reason choice ${has} has a label in ${language} and reason choice ${lacks} has none; give every choice a label in each language it is offered in (now ${languages || 'none'})`);
          }
        }
      });
    }
  }
  if (settings.question !== undefined) problems.push(...wordingProblems(settings.question, QUESTION_MAX, 'reason question'));
  return problems;
}

function wordingProblems(wording: Record<string, string>, max: number, what: string): string[] {
  const result = Wording(max, what).safeParse(wording);
  return result.success ? [] : result.error.issues.map((issue) => issue.message);
}

/** The built-in choices; their keys are the default taxonomy's theme ids (src/themes/default-taxonomy.ts). */
export const DEFAULT_REASON_CHOICES: readonly ReasonChoice[] = [
  { key: 'price', label: { 'en-US': 'price', 'pl-PL': 'cena', 'ru-RU': 'цена', 'bg-BG': 'цена' } },
  { key: 'quality', label: { 'en-US': 'product quality', 'pl-PL': 'jakość produktu', 'ru-RU': 'качество продукта', 'bg-BG': 'качество на продукта' } },
  { key: 'service', label: { 'en-US': 'staff and service', 'pl-PL': 'obsługa i personel', 'ru-RU': 'персонал и обслуживание', 'bg-BG': 'персонал и обслужване' } },
  { key: 'speed', label: { 'en-US': 'speed or delivery', 'pl-PL': 'czas lub dostawa', 'ru-RU': 'скорость или доставка', 'bg-BG': 'бързина или доставка' } },
  { key: 'billing', label: { 'en-US': 'billing or errors', 'pl-PL': 'rozliczenia lub błędy', 'ru-RU': 'счета или ошибки', 'bg-BG': 'сметки или грешки' } },
  { key: 'other', label: { 'en-US': 'something else', 'pl-PL': 'coś innego', 'ru-RU': 'другое', 'bg-BG': 'друго' } },
];

/** What one callee gets after the score: no question, none because the list has no wording in their language, or the question. */
export type ReasonPrompt =
  | { kind: 'off' }
  | { kind: 'skipped' }
  | { kind: 'ask'; choices: { digit: number; key: string; label: string }[]; text: string; language: SurveyLanguage };

export function reasonPrompt(settings: ReasonSettings | undefined, language: SurveyLanguage): ReasonPrompt {
  if (!settings?.enabled) return { kind: 'off' };
  const choices = settings.choices ?? DEFAULT_REASON_CHOICES;
  if (!choices.every((choice) => choice.label[language])) return { kind: 'skipped' };
  const texts = reasonTexts(language);
  const numbered = choices.map((choice, index) => ({ digit: index + 1, key: choice.key, label: choice.label[language]! }));
  const items = numbered.map((c) => texts.choice.replace('{digit}', String(c.digit)).replace('{label}', c.label)).join(', ');
  const question = settings.question?.[language] ?? texts.question;
  return { kind: 'ask', choices: numbered, text: `${question} ${texts.choicesIntro} ${items}.`, language };
}

/** What the callee's key means at the reason question. */
export type ReasonAnswer = { kind: 'choice'; key: string } | { kind: 'opt_out' } | { kind: 'invalid'; digits: string } | { kind: 'none' };

/**
 * Interprets the digits of a reason input (one key, submitted at once). Like the score's, digits
 * may be "", null or missing when nothing was pressed, a "#" alone is nothing, and a star is the
 * opt-out the greeting offered. A digit beyond the choices, or 0, is invalid.
 */
export function interpretReasonDigit(digits: unknown, choices: readonly { digit: number; key: string }[]): ReasonAnswer {
  const text = typeof digits === 'string' ? digits.trim().replace(/#+$/, '') : typeof digits === 'number' ? String(digits) : '';
  if (text === '') return { kind: 'none' };
  if (text.includes('*')) return { kind: 'opt_out' };
  const chosen = /^[1-9]$/.test(text) ? choices.find((c) => c.digit === Number(text)) : undefined;
  return chosen ? { kind: 'choice', key: chosen.key } : { kind: 'invalid', digits: text.slice(0, 20) };
}

/** What the reason question got, as stored in responses.reason_outcome (REASON_OUTCOMES). */
export type ReasonFailure = 'no_input' | 'invalid';

export type ReasonDecision =
  | { effect: 'chosen'; key: string; ncco: Ncco }
  | { effect: 'opt_out'; ncco: Ncco }
  | { effect: 'reprompt'; outcome: ReasonFailure; ncco: Ncco }
  | { effect: 'give_up'; outcome: ReasonFailure; ncco: Ncco };

/** The reason question's NCCO: the question with its choices, and a one-key input. */
export function reasonNcco(prompt: Extract<ReasonPrompt, { kind: 'ask' }>, context: IvrContext, step: ReasonStep): Ncco {
  const settings = context.settings ?? DEFAULT_IVR_SETTINGS;
  const text = step === 'reason' ? prompt.text : `${context.texts.reprompt} ${prompt.text}`;
  const talk: NccoAction = { action: 'talk', text, language: context.language, bargeIn: true };
  const input: NccoAction = {
    action: 'input',
    type: ['dtmf'],
    // One key submits at once; the wait for it is the score question's.
    dtmf: { maxDigits: 1, submitOnHash: true, timeOut: settings.inputTimeoutSeconds },
    eventUrl: [context.inputUrl(step)],
    eventMethod: 'POST',
  };
  return [talk, input];
}

/**
 * What follows a reason input: a choice goes on to the comment; a star to the opt-out confirmation;
 * nothing or a wrong key asks once more, and a second failure goes on to the comment without a
 * reason (the score is kept either way). `commentNcco` is the score step's continuation.
 */
export function afterReasonInput(
  input: { step: ReasonStep; answer: ReasonAnswer; prompt: Extract<ReasonPrompt, { kind: 'ask' }> },
  context: IvrContext & { commentNcco: Ncco },
): ReasonDecision {
  const { step, answer } = input;
  switch (answer.kind) {
    case 'choice':
      return { effect: 'chosen', key: answer.key, ncco: context.commentNcco };
    case 'opt_out':
      return { effect: 'opt_out', ncco: [{ action: 'talk', text: context.texts.optedOut, language: context.language }] };
    case 'none':
    case 'invalid': {
      const outcome: ReasonFailure = answer.kind === 'none' ? 'no_input' : 'invalid';
      return step === 'reason'
        ? { effect: 'reprompt', outcome, ncco: reasonNcco(input.prompt, context, 'reason_reprompt') }
        : { effect: 'give_up', outcome, ncco: context.commentNcco };
    }
    default: {
      const unreachable: never = answer;
      return unreachable;
    }
  }
}

export type ParsedReasonChoices =
  | { ok: true; choices: ReasonChoice[]; question: Record<string, string> | undefined }
  | { ok: false; problems: string[] };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isWording = (value: unknown): value is Record<string, string> => isRecord(value) && Object.values(value).every((v) => typeof v === 'string');

/**
 * A list's own reason choices as written in a `--reasons-file`: either
 * `{"choices": [{"key": "price", "label": {"en-US": "price", "pl-PL": "cena"}}, …], "question": {"en-US": "…"}}`
 * or the bare array of choices. Every problem is reported at once, naming the choice and language.
 */
export function parseReasonChoices(value: unknown): ParsedReasonChoices {
  const body = Array.isArray(value) ? { choices: value } : value;
  const shape = 'give {"choices": [{"key": "price", "label": {"en-US": "price", "pl-PL": "cena"}}, …], "question": {"en-US": "…"}} or the array of choices alone';
  if (!isRecord(body)) return { ok: false, problems: [`expected a JSON object or array; ${shape}`] };
  const unknown = Object.keys(body).filter((k) => k !== 'choices' && k !== 'question');
  const problems: string[] = unknown.map((k) => `unknown field '${k}'; ${shape}`);
  if (!Array.isArray(body.choices)) return { ok: false, problems: [...problems, `'choices' is missing or not an array; ${shape}`] };
  body.choices.forEach((choice, index) => {
    const name = describeChoice(choice, index);
    if (!isRecord(choice)) problems.push(`${name} is not an object with "key" and "label"`);
    else {
      if (typeof choice.key !== 'string') problems.push(`${name}: "key" must be text such as "price"`);
      if (!isWording(choice.label)) problems.push(`${name}: "label" must be an object of texts by language, e.g. {"en-US": "price", "pl-PL": "cena"}`);
    }
  });
  if (body.question !== undefined && !isWording(body.question)) problems.push('"question" must be an object of texts by language, e.g. {"en-US": "What is the main reason for your score?"}');
  if (problems.length > 0) return { ok: false, problems };
  const choices = (body.choices as { key: string; label: Record<string, string> }[]).map((c) => ({ key: c.key, label: c.label }));
  const question = body.question as Record<string, string> | undefined;
  const further = reasonSettingsProblems({ choices, question });
  return further.length > 0 ? { ok: false, problems: further } : { ok: true, choices, question };
}
