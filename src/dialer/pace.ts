import type { SqlReader } from '../db/index.js';
import type { ListSettings, ListSettingsBook } from '../contacts/index.js';

/**
 * The rates lanes get from the account's pace when they all have calls waiting: max-min fair
 * ("water-filling"), which is what the limiter's round-robin turns come to (RollingWindowLimiter).
 * Each gets an equal part; a lane whose ceiling is below its part gets its ceiling, and what it
 * leaves is shared by the others the same way. In calls per second, in the order given.
 */
export function fairShares(accountCps: number, ceilings: readonly number[]): number[] {
  const shares = ceilings.map(() => 0);
  let left = accountCps;
  // Lowest ceilings first: each either takes its ceiling or, with everyone after it, an equal part.
  const order = ceilings.map((_, i) => i).sort((a, b) => ceilings[a]! - ceilings[b]!);
  order.forEach((index, position) => {
    const part = left / (order.length - position);
    shares[index] = Math.min(ceilings[index]!, part);
    left -= shares[index]!;
  });
  return shares;
}

/** A list's part of the account's pace, for `lists show`. */
export interface ListPace {
  /** The list's own cps: a ceiling, never more in any rolling second. */
  ceilingCps: number;
  /** VONAGE_ACCOUNT_CPS: what every list dialled at once shares. */
  accountCps: number;
  /** Its pace when no other list dials. */
  aloneCps: number;
  /**
   * Its share while every list that still has open contacts (pending or on a call) dials at the
   * same time, this one included; the most other lists can take from it.
   */
  sharedCps: number;
  /** Those lists, this one first. */
  openLists: { listId: number; name: string; ceilingCps: number; sharedCps: number }[];
}

/**
 * What pace a list gets: alone, the lower of its cps and the account's; beside the other lists
 * that may dial at once (every ready list with open contacts; in `serve`, schedules and triggered
 * lists), its fair share (fairShares). Reads the stored settings; writes nothing.
 */
export async function describeListPace(options: { reader: SqlReader; lists: ListSettingsBook; accountCps: number; listId: number }): Promise<ListPace> {
  const { reader, lists, accountCps, listId } = options;
  const own = await lists.load(listId);
  // One index lookup per list (contacts_due_idx): does it have an open contact?
  const openIds = await reader.all<{ id: number }>(
    `SELECT l.id FROM lists l WHERE l.state = 'ready' AND l.id <> ?
       AND EXISTS (SELECT 1 FROM contacts c WHERE c.list_id = l.id AND c.status IN ('pending', 'dialing')) ORDER BY l.id`,
    [listId],
  );
  const others: ListSettings[] = [];
  for (const { id } of openIds) others.push(await lists.load(id));
  const open = [own, ...others];
  const shares = fairShares(accountCps, open.map((s) => s.policy.cps));
  return {
    ceilingCps: own.policy.cps,
    accountCps,
    aloneCps: Math.min(own.policy.cps, accountCps),
    sharedCps: shares[0]!,
    openLists: open.map((s, i) => ({ listId: s.listId, name: s.listName, ceilingCps: s.policy.cps, sharedCps: shares[i]! })),
  };
}
