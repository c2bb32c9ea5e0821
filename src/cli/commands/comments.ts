import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import { openContext } from '../../app/context.js';
import { NPS_CATEGORIES } from '../../ivr/index.js';
import { CommentsQuery, correctThemes, findClientId, listComments, reclassifyList, SENTIMENT_CHOICES, taxonomyOfClient, type CommentView } from '../../comments/index.js';
import { AppError } from '../../errors/index.js';
import { SURVEY_LANGUAGES, type SurveyLanguage } from '../../ivr/index.js';
import { compileTaxonomy, DEFAULT_TAXONOMY, OTHER_THEME_ID, parseTaxonomy, themeLabel, type CompiledTaxonomy, type Taxonomy } from '../../themes/index.js';
import { printJson, printLine, table } from '../output.js';
import { positiveInt } from '../parse.js';

interface ClassifyFlags {
  language: SurveyLanguage;
  taxonomy?: string;
  client?: string;
  json?: boolean;
}

export function registerCommentsCommands(program: Command): void {
  const comments = program.command('comments').description('the themes of survey comments (why callees gave their score)');

  comments
    .command('classify')
    .description('classify comment texts, one per line, to try a taxonomy before a campaign; prints one JSON object per line')
    .argument('[file]', 'a UTF-8 text file with one comment per line (standard input when omitted or -)')
    .addOption(new Option('--language <bcp47>', 'language of the comments').choices(SURVEY_LANGUAGES).makeOptionMandatory())
    .option('--taxonomy <file>', "a client's taxonomy as JSON (docs/themes.md); the default taxonomy otherwise")
    .option('--client <name>', "the taxonomy this client's lists are classified with (its id or name)")
    .option('--json', 'print one JSON document: every comment and the count per theme')
    .action(async (file: string | undefined, flags: ClassifyFlags) => {
      if (flags.taxonomy && flags.client) throw new AppError('USAGE', 'give --taxonomy or --client, not both');
      const taxonomy = flags.taxonomy ? readTaxonomyFile(flags.taxonomy) : flags.client ? await clientTaxonomyOf(flags.client) : DEFAULT_TAXONOMY;
      const compiled = compileTaxonomy(taxonomy);
      if (!compiled.languages.includes(flags.language)) {
        throw new AppError('USAGE', `${flags.taxonomy ? `--taxonomy ${flags.taxonomy}` : flags.client ? `client ${flags.client}'s taxonomy` : 'the taxonomy'} has no phrases in ${flags.language}; it has ${compiled.languages.join(', ')}`);
      }
      const input = file === undefined || file === '-' ? process.stdin : createReadStream(file, 'utf8');
      await classifyLines(input, input === process.stdin ? 'standard input' : file!, compiled, flags);
    });

  comments
    .command('list')
    .description("a list's comments with words: score, themes, sentiment and where they came from, detractors first")
    .argument('<listId>', 'list id', positiveInt('listId'))
    .option('--theme <id>', 'only comments with this theme')
    .addOption(new Option('--category <category>', 'only detractors (0–6), passives (7–8) or promoters (9–10)').choices(NPS_CATEGORIES))
    .option('--json', 'print JSON')
    .action(async (listId: number, flags: { theme?: string; category?: string; json?: boolean }) => {
      const ctx = await openContext({ readOnly: true });
      try {
        const parsed = CommentsQuery.safeParse({ ...(flags.theme ? { theme: flags.theme } : {}), ...(flags.category ? { category: flags.category } : {}) });
        if (!parsed.success) throw new AppError('USAGE', parsed.error.issues.map((i) => `--${String(i.path[0])}: ${i.message}`).join('; '));
        const found = await listComments(ctx.backend.stores.comments.comments, { listId, query: parsed.data });
        if (flags.json) return printJson(found);
        if (found.length === 0) return printLine('No comments with words.');
        printLine(table(['RESPONSE', 'SCORE', 'PHONE', 'THEMES', 'SENTIMENT', 'REASON', 'TEXT'], found.map(commentRow)));
      } finally {
        await ctx.close();
      }
    });

  comments
    .command('set-themes')
    .description("correct a comment's themes (and sentiment): kept as a person's, audited, never overwritten by a re-run")
    .argument('<responseId>', 'the response that holds the comment (see `comments list`)', positiveInt('responseId'))
    .requiredOption('--themes <ids>', "comma-separated theme ids of the list's client's taxonomy, e.g. price,service")
    .addOption(new Option('--sentiment <label>', 'the sentiment too').choices(SENTIMENT_CHOICES))
    .option('--json', 'print JSON')
    .action(async (responseId: number, flags: { themes: string; sentiment?: string; json?: boolean }) => {
      const ctx = await openContext();
      try {
        const themes = flags.themes.split(',').map((t) => t.trim()).filter((t) => t !== '');
        const result = await correctThemes(
          { ...ctx.backend.stores.comments, clock: ctx.clock, logger: ctx.logger },
          { responseId, actor: { kind: 'operator' }, correction: { themes, ...(flags.sentiment ? { sentiment: flags.sentiment } : {}) } },
        );
        if (flags.json) return printJson(result);
        printLine(
          `Comment ${result.responseId}: themes ${result.themes.join(', ')} (manual), sentiment ${result.sentiment ?? '-'} (${result.sentimentSource ?? '-'})${result.correctionId === null ? '; nothing changed' : `; correction ${result.correctionId} recorded`}.`,
        );
      } finally {
        await ctx.close();
      }
    });

  comments
    .command('reclassify')
    .description("classify a list's comments again with its client's current taxonomy; corrections are kept")
    .argument('<listId>', 'list id', positiveInt('listId'))
    .option('--json', 'print JSON')
    .action(async (listId: number, flags: { json?: boolean }) => {
      const ctx = await openContext();
      try {
        const summary = await reclassifyList({ ...ctx.backend.stores.comments, clock: ctx.clock, logger: ctx.logger }, listId);
        if (flags.json) return printJson(summary);
        printLine(`List ${listId}: classified ${summary.classified}, kept manual ${summary.keptManual}, changed ${summary.changed}.`);
      } finally {
        await ctx.close();
      }
    });
}

/** The taxonomy of a client named by id or name, read from the database. */
async function clientTaxonomyOf(nameOrId: string): Promise<Taxonomy> {
  const ctx = await openContext({ readOnly: true });
  try {
    const { taxonomies } = ctx.backend.stores.comments;
    return await taxonomyOfClient(taxonomies, await findClientId(taxonomies, nameOrId));
  } finally {
    await ctx.close();
  }
}

function commentRow(c: CommentView): (string | number)[] {
  const text = c.text === null ? '(removed by retention)' : c.text.length > 60 ? `${c.text.slice(0, 59)}…` : c.text;
  return [c.responseId, c.score, c.phone ?? '-', c.themes.length ? `${c.themes.join(',')} (${c.themesSource})` : '-', c.sentiment ? `${c.sentiment} (${c.sentimentSource})` : '-', c.reason ?? '-', text];
}

/** A client's taxonomy file; every problem is reported on one line, naming theme, language and phrase. */
export function readTaxonomyFile(file: string): Taxonomy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new AppError('USAGE', `--taxonomy ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, { cause: error });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new AppError('USAGE', `--taxonomy ${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseTaxonomy(value, `--taxonomy ${file}`);
}

async function classifyLines(input: Readable, name: string, taxonomy: CompiledTaxonomy, flags: ClassifyFlags): Promise<void> {
  const labels = new Map(taxonomy.taxonomy.themes.map((theme) => [theme.id, themeLabel(theme, flags.language)]));
  const collected: unknown[] = [];
  const counts = Object.fromEntries(taxonomy.taxonomy.themes.map((theme) => [theme.id, 0])) as Record<string, number>;
  counts[OTHER_THEME_ID] ??= 0;
  let line = 0;
  let blank = 0;
  // readline does not pass on the input's errors (a missing file, a directory): they end the run here.
  const readError = new Promise<never>((_, reject) => input.once('error', (error) => reject(inputError(name, error))));
  const lines = createInterface({ input, crlfDelay: Infinity });
  const done = (async () => {
    for await (const text of lines) {
      line++;
      const result = taxonomy.classify(text, flags.language);
      if (result.themes.length === 0) blank++;
      for (const theme of result.themes) counts[theme.id] = (counts[theme.id] ?? 0) + 1;
      const record = { line, text, themes: result.themes.map((t) => ({ id: t.id, label: labels.get(t.id) ?? t.id, evidence: t.evidence })), sentiment: result.sentiment };
      if (flags.json) collected.push(record);
      else process.stdout.write(`${JSON.stringify(record)}\n`);
    }
  })();
  await Promise.race([done, readError]);
  if (flags.json) printJson({ language: flags.language, taxonomy: flags.taxonomy ?? 'default', comments: collected, counts, blank });
}

function inputError(name: string, error: unknown): AppError {
  const { code } = error as NodeJS.ErrnoException;
  return new AppError('INPUT_INVALID', `${name} cannot be read (${code ?? (error as Error).message})`, { cause: error });
}
