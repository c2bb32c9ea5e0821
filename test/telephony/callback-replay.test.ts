import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger, createSilentLogger } from '../../src/logging/index.js';
import { MemoryReplayGuard } from '../../src/telephony/index.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const request = (path: string) => `POST ${path} 6c839990c10c8f7fb6c3250f8b61572e8b61de3b044ff6027038ae0ae40124eb`;

describe('the in-memory callback replay guard', () => {
  it('tells a first use, an identical redelivery and a use for another request apart', () => {
    const guard = new MemoryReplayGuard({ retainMs: 360_000, logger: createSilentLogger() });
    expect(guard.admit({ jti: 'a', request: request('/webhooks/event/r1'), nowMs: T0 })).toBe('first');
    expect(guard.admit({ jti: 'a', request: request('/webhooks/event/r1'), nowMs: T0 + 1000 })).toBe('repeat');
    expect(guard.admit({ jti: 'a', request: request('/webhooks/event/r2'), nowMs: T0 + 2000 })).toBe('conflict');
    expect(guard.admit({ jti: 'a', request: request('/webhooks/event/r1?x=1'), nowMs: T0 + 2000 })).toBe('conflict');
    expect(guard.admit({ jti: 'b', request: request('/webhooks/event/r2'), nowMs: T0 + 2000 })).toBe('first');
  });

  it('remembers a token for the retention time after its first use, then forgets it', () => {
    const guard = new MemoryReplayGuard({ retainMs: 360_000, logger: createSilentLogger() });
    guard.admit({ jti: 'a', request: request('/r1'), nowMs: T0 });
    guard.admit({ jti: 'b', request: request('/r1'), nowMs: T0 + 100_000 });
    expect(guard.admit({ jti: 'a', request: request('/r2'), nowMs: T0 + 359_999 })).toBe('conflict');
    expect(guard.admit({ jti: 'c', request: request('/r1'), nowMs: T0 + 360_000 })).toBe('first');
    expect(guard.size).toBe(2);
    expect(guard.admit({ jti: 'a', request: request('/r2'), nowMs: T0 + 360_001 })).toBe('first');
    expect(guard.admit({ jti: 'b', request: request('/r2'), nowMs: T0 + 200_000 })).toBe('conflict');
  });

  it('keeps its entries when the wall clock steps back', () => {
    const guard = new MemoryReplayGuard({ retainMs: 60_000, logger: createSilentLogger() });
    guard.admit({ jti: 'a', request: request('/r1'), nowMs: T0 });
    expect(guard.admit({ jti: 'a', request: request('/r2'), nowMs: T0 - 3_600_000 })).toBe('conflict');
  });

  it('forgets the oldest tokens early when full, and says so once per retention time', () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const logger = createLogger({ level: 'warn', format: 'json', stream });
    logger.transports[0]!.silent = true;
    const guard = new MemoryReplayGuard({ retainMs: 60_000, maxEntries: 3, logger });
    for (const jti of ['a', 'b', 'c', 'd', 'e']) guard.admit({ jti, request: request('/r1'), nowMs: T0 });
    expect(guard.size).toBe(3);
    expect(guard.admit({ jti: 'a', request: request('/r2'), nowMs: T0 })).toBe('first');
    expect(guard.admit({ jti: 'e', request: request('/r2'), nowMs: T0 })).toBe('conflict');
    return new Promise<void>((resolve) => {
      setImmediate(() => {
        expect(lines.filter((line) => line.includes('callback replay cache full'))).toHaveLength(1);
        resolve();
      });
    });
  });

  it('refuses a retention or a size that is not a positive integer, naming it', () => {
    expect(() => new MemoryReplayGuard({ retainMs: 0, logger: createSilentLogger() })).toThrow('retainMs must be a positive integer, got 0');
    expect(() => new MemoryReplayGuard({ retainMs: 1000, maxEntries: 1.5, logger: createSilentLogger() })).toThrow('maxEntries must be a positive integer, got 1.5');
  });
});
