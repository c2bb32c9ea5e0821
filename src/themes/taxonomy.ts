import { z } from 'zod';
import { AppError } from '../errors/index.js';
import { SURVEY_LANGUAGES, type SurveyLanguage } from '../ivr/index.js';
import { normalizeWord } from './text.js';

/**
 * A taxonomy: the reasons a report counts, each with the phrases that reveal it in each survey
 * language. docs/themes.md describes the format for people who write one.
 *
 * A phrase is one to five words. A word is matched whole, after case and diacritics are folded,
 * unless it has a star: the star marks where the inflected ending starts, and the word then matches
 * every word that begins with the letters before it ("dostaw*a" matches dostawa, dostawy, dostawie,
 * dostawą, dostawca). The letters after the star complete the dictionary form; they make the phrase
 * readable and are what the exact-word comparison in docs/themes.md matches, but they do not
 * restrict the match.
 */

/** Assigned to a comment with words that matches no theme; it takes no phrases. */
export const OTHER_THEME_ID = 'other';

export const MAX_PHRASE_WORDS = 5;
/** A shorter stem ("ce*") would match a large part of the vocabulary. */
export const MIN_STEM_LETTERS = 3;

const ThemeId = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,39}$/, 'must be 1–40 characters: lower-case letters, digits, - or _, starting with a letter, e.g. "price" or "app_quality"');

/** A record keyed by survey language; an unknown key is named in the error. */
const byLanguage = <T extends z.ZodType>(what: string, value: T) =>
  z.partialRecord(z.enum(SURVEY_LANGUAGES), value, {
    // zod 4 reports unknown keys of an enum-keyed record as 'unrecognized_keys', which its
    // typings for a record's issues do not list.
    error: (issue) => {
      const { code, keys } = issue as { code: string; keys?: string[] };
      return code === 'unrecognized_keys' ? `${what} language ${(keys ?? []).map((k) => `'${k}'`).join(', ')} is not one of ${SURVEY_LANGUAGES.join(', ')}` : undefined;
    },
  });

const Phrase = z.string().superRefine((phrase, ctx) => {
  const problem = phraseProblem(phrase);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const Theme = z.strictObject({
  id: ThemeId,
  label: byLanguage('label', z.string().trim().min(1, 'a label must not be empty').max(80)),
  phrases: byLanguage('phrase', z.array(Phrase).max(500)).optional(),
});
export type Theme = z.infer<typeof Theme>;

export const Taxonomy = z
  .strictObject({
    themes: z.array(Theme).min(1, 'a taxonomy needs at least one theme').max(100),
  })
  .superRefine((taxonomy, ctx) => {
    const seen = new Set<string>();
    taxonomy.themes.forEach((theme, index) => {
      if (seen.has(theme.id)) ctx.addIssue({ code: 'custom', path: ['themes', index, 'id'], message: `theme id '${theme.id}' is used twice` });
      seen.add(theme.id);
      if (Object.keys(theme.label).length === 0) ctx.addIssue({ code: 'custom', path: ['themes', index, 'label'], message: 'give a label in at least one language' });
      const phrases = Object.entries(theme.phrases ?? {});
      if (theme.id === OTHER_THEME_ID) {
        if (phrases.some(([, list]) => list.length > 0)) {
          ctx.addIssue({ code: 'custom', path: ['themes', index, 'phrases'], message: `'${OTHER_THEME_ID}' is given to comments that match no theme, so it takes no phrases` });
        }
        return;
      }
      for (const [language, list] of phrases) {
        const seenPhrases = new Map<string, string>();
        list.forEach((phrase, at) => {
          const key = phraseKey(phrase);
          const earlier = seenPhrases.get(key);
          if (earlier === phrase) ctx.addIssue({ code: 'custom', path: ['themes', index, 'phrases', language, at], message: `'${phrase}' is listed twice` });
          else if (earlier !== undefined) {
            ctx.addIssue({ code: 'custom', path: ['themes', index, 'phrases', language, at], message: `'${phrase}' is the same as '${earlier}' once case and diacritics are folded` });
          }
          if (earlier === undefined) seenPhrases.set(key, phrase);
        });
      }
    });
    if (!taxonomy.themes.some((theme) => theme.id !== OTHER_THEME_ID && Object.values(theme.phrases ?? {}).some((list) => list.length > 0))) {
      ctx.addIssue({ code: 'custom', path: ['themes'], message: 'no theme has a phrase: give at least one theme a phrase in one language' });
    }
  });
export type Taxonomy = z.infer<typeof Taxonomy>;

/** What is wrong with one phrase, or undefined. */
function phraseProblem(phrase: string): string | undefined {
  const words = phrase.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return 'a phrase must not be empty';
  if (words.length > MAX_PHRASE_WORDS) return `'${phrase}' has ${words.length} words; a phrase has at most ${MAX_PHRASE_WORDS}`;
  for (const word of words) {
    const stars = word.split('*').length - 1;
    if (stars > 1) return `'${word}' in '${phrase}' has ${stars} stars; write one star where the ending starts, e.g. dostaw*a`;
    const [stem = '', ending = ''] = word.split('*');
    if (!/^[\p{L}\p{N}]+(?:'[\p{L}]+)*$/u.test(normalizeWord(stem + ending))) {
      return `'${word}' in '${phrase}' may hold only letters, digits, an inner apostrophe and one star`;
    }
    if (stars === 1 && [...stem].length < MIN_STEM_LETTERS) {
      return `'${word}' in '${phrase}' has ${[...stem].length} letter(s) before the star; at least ${MIN_STEM_LETTERS} are needed, or it would match too many words`;
    }
  }
  return undefined;
}

function phraseKey(phrase: string): string {
  return phrase.trim().split(/\s+/).map(normalizeWord).join(' ');
}

/**
 * Validates a taxonomy read from JSON (a client's file). Every problem is named by theme id,
 * language and phrase, e.g. "theme 'price', phrases pl-PL #3: 'd*': 1 letter(s) before the star…".
 */
export function parseTaxonomy(value: unknown, source = 'taxonomy'): Taxonomy {
  const result = Taxonomy.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${describePath(value, issue.path)}${issue.message}`);
  throw new AppError('USAGE', `${source} is not a valid taxonomy: ${problems.join('; ')}`, { details: { problems } });
}

function describePath(value: unknown, path: readonly PropertyKey[]): string {
  if (path[0] !== 'themes' || typeof path[1] !== 'number') return path.length ? `${path.map(String).join('.')}: ` : '';
  const theme = (value as { themes?: { id?: unknown }[] }).themes?.[path[1]];
  const name = typeof theme?.id === 'string' && theme.id ? `theme '${theme.id}'` : `theme #${path[1] + 1}`;
  const rest = path.slice(2).map((part) => (typeof part === 'number' ? `#${part + 1}` : String(part)));
  return `${[name, ...rest].join(' ')}: `;
}

/** The label of a theme in `language`, else in en-US, else any, else its id. */
export function themeLabel(theme: Theme, language: SurveyLanguage): string {
  return theme.label[language] ?? theme.label['en-US'] ?? Object.values(theme.label)[0] ?? theme.id;
}
