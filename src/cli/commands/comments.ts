import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Option, type Command } from 'commander';
import { AppError } from '../../errors/index.js';
import { SURVEY_LANGUAGES, type SurveyLanguage } from '../../ivr/index.js';
import { compileTaxonomy, DEFAULT_TAXONOMY, OTHER_THEME_ID, parseTaxonomy, themeLabel, type CompiledTaxonomy, type Taxonomy } from '../../themes/index.js';
import { printJson } from '../output.js';

interface ClassifyFlags {
  language: SurveyLanguage;
  taxonomy?: string;
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
    .option('--json', 'print one JSON document: every comment and the count per theme')
    .action(async (file: string | undefined, flags: ClassifyFlags) => {
      const taxonomy = flags.taxonomy ? readTaxonomyFile(flags.taxonomy) : DEFAULT_TAXONOMY;
      const compiled = compileTaxonomy(taxonomy);
      if (!compiled.languages.includes(flags.language)) {
        throw new AppError('USAGE', `${flags.taxonomy ? `--taxonomy ${flags.taxonomy}` : 'the taxonomy'} has no phrases in ${flags.language}; it has ${compiled.languages.join(', ')}`);
      }
      const input = file === undefined || file === '-' ? process.stdin : createReadStream(file, 'utf8');
      await classifyLines(input, input === process.stdin ? 'standard input' : file!, compiled, flags);
    });
}

/** A client's taxonomy file; every problem is reported on one line, naming theme, language and phrase. */
function readTaxonomyFile(file: string): Taxonomy {
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
