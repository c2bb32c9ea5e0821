import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../src/logging/index.js';

function capture(level: string) {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)));
  const logger = createLogger({ level, format: 'json', stream });
  return { logger, lines };
}

/** Metadata whose field counts how often the logger read it (the redaction reads every field). */
function counted() {
  const meta = { reads: 0 };
  return {
    meta,
    value: {
      get phone() {
        meta.reads++;
        return '+48501234567';
      },
    },
  };
}

describe('the logger', () => {
  it('does not build an entry of a disabled level, on the logger or a child', async () => {
    const { logger, lines } = capture('info');
    const child = logger.child({ module: 'dialer' });
    const dropped = counted();
    logger.debug('not logged', dropped.value);
    child.debug('not logged either', dropped.value);
    const kept = counted();
    child.info('logged', kept.value);
    await new Promise((resolve) => setImmediate(resolve));

    expect(dropped.meta.reads).toBe(0);
    expect(kept.meta.reads).toBeGreaterThan(0);
    expect(lines).toEqual([expect.objectContaining({ level: 'info', message: 'logged', module: 'dialer', phone: '+48******567' })]);
  });

  it('logs every enabled level, and follows a level changed at run time', async () => {
    const { logger, lines } = capture('warn');
    logger.error('e');
    logger.warn('w');
    logger.info('i');
    logger.level = 'debug';
    logger.debug('d');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => l.message)).toEqual(['e', 'w', 'd']);
  });
});
