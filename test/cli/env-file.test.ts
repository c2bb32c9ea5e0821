import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import dotenv from 'dotenv';
import { writeEnvSettings } from '../../src/cli/env-file.js';
import { tempDir } from '../support/factories.js';

describe('writeEnvSettings (sandbox --write-env)', () => {
  it('replaces a multi-line quoted value whole with --force, and keeps the file mode and every other line', () => {
    const file = path.join(tempDir(), '.env');
    writeFileSync(file, 'A=1\nVONAGE_PRIVATE_KEY="-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----"\n# note\nB=2\n', { mode: 0o640 });
    const changes = writeEnvSettings(file, [['VONAGE_PRIVATE_KEY', 'data/sandbox/private.key'], ['A', '1']], { force: true });
    expect(changes).toMatchObject({ replaced: ['VONAGE_PRIVATE_KEY'], unchanged: ['A'], added: [], kept: [] });
    expect(readFileSync(file, 'utf8')).toBe('A=1\nVONAGE_PRIVATE_KEY=data/sandbox/private.key\n# note\nB=2\n');
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });

  it('quotes a value dotenv would cut short, and writes nothing when nothing changes', () => {
    const file = path.join(tempDir(), '.env');
    writeEnvSettings(file, [['QUESTION', 'a # b']], { force: false });
    expect(dotenv.parse(readFileSync(file, 'utf8')).QUESTION).toBe('a # b');
    const before = readFileSync(file, 'utf8');
    expect(writeEnvSettings(file, [['QUESTION', 'other']], { force: false })).toMatchObject({ kept: ['QUESTION'], added: [], replaced: [] });
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});
