/**
 * The accuracy of the default taxonomy on the labelled comments (test/fixtures/comments/), as the
 * Markdown tables of docs/themes.md: theme F1 per language for each way of matching words, precision
 * and recall per theme, and the engine's sentiment.
 *
 *   npx tsx scripts/themes-accuracy.ts            # the tables
 *   npx tsx scripts/themes-accuracy.ts --misses   # and every comment the engine gets wrong
 */
import { readFileSync } from 'node:fs';
import { resolveFromRoot } from '../src/config/index.js';
import { SURVEY_LANGUAGES } from '../src/ivr/index.js';
import { compileTaxonomy, DEFAULT_TAXONOMY, evaluateTaxonomy, MATCHING_MODES, parseLabelledComments, type LabelledComment } from '../src/themes/index.js';

const load = (name: string) => parseLabelledComments(readFileSync(resolveFromRoot(`test/fixtures/comments/${name}`), 'utf8'), name);
const labelled = load('labelled.jsonl');
const variants = load('variants.jsonl');
const sets: [string, LabelledComment[]][] = [
  ['dev', labelled.filter((c) => c.split === 'dev')],
  ['holdout', labelled.filter((c) => c.split === 'holdout')],
  ['labelled (dev + holdout)', labelled],
  ['variants', variants],
];

const pct = (n: number | null) => (n === null ? '–' : `${Math.round(n * 100)} %`);
const two = (n: number) => n.toFixed(2);
const row = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
const header = (cells: string[]) => `${row(cells)}\n|${cells.map(() => '---').join('|')}|`;

console.log(`Labelled: ${labelled.length} comments (${SURVEY_LANGUAGES.map((l) => `${l} ${labelled.filter((c) => c.language === l).length}`).join(', ')}); variants: ${variants.length}.\n`);

console.log('#### Theme micro F1 by way of matching\n');
console.log(header(['set', 'matching', ...SURVEY_LANGUAGES, 'all']));
for (const [name, samples] of sets) {
  for (const matching of MATCHING_MODES) {
    const evaluation = evaluateTaxonomy(compileTaxonomy(DEFAULT_TAXONOMY, { matching }), samples);
    console.log(row([name, matching, ...evaluation.languages.map((l) => two(l.microF1)), two(evaluation.overall.microF1)]));
  }
}

const final = compileTaxonomy(DEFAULT_TAXONOMY);
console.log('\n#### Per theme, labelled set (dev + holdout), final matching (stems-and-typos)\n');
console.log(header(['language', 'theme', 'comments', 'precision', 'recall', 'F1']));
const overall = evaluateTaxonomy(final, labelled);
for (const language of overall.languages) {
  for (const theme of language.themes) {
    console.log(row([language.language, theme.theme, theme.support, pct(theme.precision), pct(theme.recall), two(theme.f1)]));
  }
  console.log(row([language.language, '**macro F1 / micro F1 / exact set**', language.comments, '', '', `${two(language.macroF1)} / ${two(language.microF1)} / ${pct(language.exactMatch)}`]));
}

console.log('\n#### Sentiment (engine) agreement with the labels\n');
console.log(header(['set', ...SURVEY_LANGUAGES, 'all']));
for (const [name, samples] of sets) {
  const evaluation = evaluateTaxonomy(final, samples);
  console.log(row([name, ...evaluation.languages.map((l) => pct(l.sentimentAccuracy)), pct(evaluation.overall.sentimentAccuracy)]));
}

if (process.argv.includes('--misses')) {
  for (const [name, samples] of sets.filter(([name]) => !name.startsWith('labelled'))) {
    const evaluation = evaluateTaxonomy(final, samples);
    console.log(`\n#### Misses: ${name}\n`);
    for (const miss of evaluation.themeMisses) console.log(`- ${miss.id} themes ${miss.expected.join(',')} ≠ ${miss.got.join(',')} ${JSON.stringify(miss.evidence)}: ${miss.text}`);
    for (const miss of evaluation.sentimentMisses) console.log(`- ${miss.id} sentiment ${miss.expected} ≠ ${miss.got} (${miss.score}): ${miss.text}`);
  }
}
