/**
 * Text after a command's `--help` (commander's addHelpText('after', …)), laid out as git, gh and
 * kubectl do it: a titled section of indented lines, examples first. A line's `# comment` is
 * aligned with the others'.
 */
export function helpSection(title: string, lines: string[]): string {
  const split = lines.map((line) => {
    const at = line.indexOf(' # ');
    return at < 0 ? { text: line, comment: undefined } : { text: line.slice(0, at).trimEnd(), comment: line.slice(at + 1) };
  });
  const width = Math.max(0, ...split.filter((l) => l.comment !== undefined).map((l) => l.text.length));
  const body = split.map(({ text, comment }) => (text === '' && comment === undefined ? '' : `  ${comment === undefined ? text : `${text.padEnd(width)}  ${comment}`}`));
  return `\n${title}:\n${body.join('\n')}\n`;
}

/** What `run` and `serve` need before they can dial: the settings docs/configuration.md describes. */
export const DIALER_NEEDS = helpSection('Needs', [
  'VONAGE_APPLICATION_ID, VONAGE_PRIVATE_KEY, VONAGE_SIGNATURE_SECRET and VONAGE_FROM_NUMBER',
  '(in the environment or .env; docs/configuration.md), and a PUBLIC_BASE_URL that Vonage can reach',
  'for its webhooks (default http://127.0.0.1:$PORT, enough for the local sandbox).',
  'To try it without Vonage, in another terminal:  nps-dialer sandbox --write-env',
]);
