import { describe, expect, it } from '@jest/globals';
import type { TextResult } from '../../src/comments/index.js';

/**
 * What a callee's comment was, in the provider's terms: words (with a confidence, a number or a
 * numeric string, or none), silence, the provider's refusal to give text (an unsupported language,
 * a recognition error), or a document of a shape nobody documented.
 */
export type Said = { words: string; confidence?: number | string } | 'silence' | 'refused' | 'malformed';

/** One way comment text reaches the app, driven through its production code. */
export interface CommentTextAdapter {
  /** Renders `said` as the provider delivers it in this mode, and reads it back through the app. */
  read(said: Said): Promise<TextResult>;
}

/**
 * The contract of comment text, whichever way the words come (docs/adr/0010-comment-text.md): the
 * recorded comment's transcript downloaded from the provider, or the spoken comment's speech
 * result in the input webhook. A third adapter (a local speech-to-text engine) must pass it too.
 */
export function commentTextConformance(name: string, adapter: () => CommentTextAdapter): void {
  describe(`comment text conformance: ${name}`, () => {
    it('reads words with their confidence', async () => {
      await expect(adapter().read({ words: 'The price is too high', confidence: 0.82 })).resolves.toEqual({ ok: true, text: 'The price is too high', confidence: 0.82 });
    });

    it('reads a confidence given as a numeric string as a number', async () => {
      await expect(adapter().read({ words: 'Szybka dostawa', confidence: '0.5' })).resolves.toEqual({ ok: true, text: 'Szybka dostawa', confidence: 0.5 });
    });

    it('gives a null confidence when none (or no number) is given, and keeps the words', async () => {
      await expect(adapter().read({ words: 'Хорошее обслуживание' })).resolves.toEqual({ ok: true, text: 'Хорошее обслуживание', confidence: null });
      await expect(adapter().read({ words: 'Бавна доставка', confidence: 'high' })).resolves.toEqual({ ok: true, text: 'Бавна доставка', confidence: null });
    });

    it('trims the words and cuts them at 4,000 characters', async () => {
      const long = `  ${'word '.repeat(1000)}`;
      const result = await adapter().read({ words: long, confidence: 0.9 });
      expect(result.ok && result.text.length).toBe(4000);
      expect(result.ok && result.text.startsWith('word')).toBe(true);
    });

    it('reads silence as a result without words (no comment), not as a failure', async () => {
      await expect(adapter().read('silence')).resolves.toEqual({ ok: true, text: '', confidence: null });
    });

    it("reads the provider's refusal as a failure that is not retried", async () => {
      await expect(adapter().read('refused')).resolves.toMatchObject({ ok: false, retryable: false, reason: expect.any(String) });
    });

    it('refuses a document of an unknown shape without retrying', async () => {
      await expect(adapter().read('malformed')).resolves.toMatchObject({ ok: false, retryable: false });
    });
  });
}
