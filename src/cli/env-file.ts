import { chmodSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import dotenv from 'dotenv';

export interface EnvFileChanges {
  file: string;
  /** Settings the file did not have, now appended. */
  added: string[];
  /** Settings the file had with another value, replaced (--force). */
  replaced: string[];
  /** Settings the file had with another value, left as they were (no --force). */
  kept: string[];
  /** Settings the file already had with the same value. */
  unchanged: string[];
}

/**
 * Writes settings into a dotenv file (`sandbox --write-env`): a setting the file lacks is appended,
 * one it has with the same value is left alone, and one it has with another value is replaced only
 * with `force` (every assignment of it: dotenv takes the last). The rest of the file — comments,
 * order, other settings — stays as it was. A new file is made readable by its owner only: it holds a
 * signature secret. The file is replaced in one rename, so an interrupted write leaves the old one.
 */
export function writeEnvSettings(file: string, settings: [name: string, value: string][], options: { force: boolean }): EnvFileChanges {
  const exists = existsSync(file);
  const text = exists ? readFileSync(file, 'utf8') : '';
  const current = dotenv.parse(text);
  let lines = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const changes: EnvFileChanges = { file, added: [], replaced: [], kept: [], unchanged: [] };
  const appended: string[] = [];
  for (const [name, value] of settings) {
    if (current[name] === undefined) {
      appended.push(assignment(name, value));
      changes.added.push(name);
    } else if (current[name] === value) {
      changes.unchanged.push(name);
    } else if (!options.force) {
      changes.kept.push(name);
    } else {
      lines = replaceAssignments(lines, name, assignment(name, value));
      changes.replaced.push(name);
    }
  }
  if (changes.added.length + changes.replaced.length === 0) return changes;
  if (appended.length > 0) lines.push(...(lines.length > 0 ? [''] : []), '# The local Vonage sandbox (nps-dialer sandbox --write-env)', ...appended);
  const temporary = `${file}.${process.pid}.partial`;
  try {
    writeFileSync(temporary, `${lines.join('\n')}\n`, { mode: 0o600 });
    if (exists) chmodSync(temporary, statSync(file).mode & 0o777);
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return changes;
}

/** `NAME=value`, quoted when dotenv would otherwise cut the value short (spaces, #, quotes). */
function assignment(name: string, value: string): string {
  return /^[\w./:@+-]*$/.test(value) ? `${name}=${value}` : `${name}=${JSON.stringify(value)}`;
}

/**
 * The file's lines with every assignment of `name` removed and `line` in place of the first. A
 * quoted value may run over several lines (a PEM key): its assignment ends at the closing quote.
 */
function replaceAssignments(lines: string[], name: string, line: string): string[] {
  const start = new RegExp(`^\\s*(?:export\\s+)?${name}\\s*[=:]\\s*(.*)$`);
  const out: string[] = [];
  let placed = false;
  for (let i = 0; i < lines.length; i++) {
    const match = start.exec(lines[i]!);
    if (!match) {
      out.push(lines[i]!);
      continue;
    }
    const quote = /^["'`]/.exec(match[1]!)?.[0];
    if (quote && !match[1]!.slice(1).includes(quote)) {
      // An open quote: the value goes on to the line that closes it.
      while (i + 1 < lines.length && !lines[i + 1]!.includes(quote)) i++;
      i++;
    }
    if (!placed) out.push(line);
    placed = true;
  }
  return out;
}
