// Read tickets: an orchestrator's signed permission for a client to GET one object from a storage
// node for a few minutes (docs/api.md "Direct reads"), so the bytes of a download go from the node
// to the client without passing through the orchestrator. Both sides hold the node token; the
// ticket key is derived from it, so a ticket never reveals the token and is good for nothing but
// reading that one object until it expires.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TICKET_HEADER = 'x-dcs-ticket';

/** How long a ticket is good for: a download's plan runs ahead of its reads by seconds, not minutes. */
export const TICKET_TTL_MS = 10 * 60_000;

/** MAC bytes kept (128 bits): forging one is as hard as guessing a 128-bit key. */
const MAC_BYTES = 16;

function ticketKey(nodeToken: string): Buffer {
  return createHmac('sha256', nodeToken).update('dcs read ticket v1').digest();
}

function mac(key: Buffer, objectKey: string, expiresAt: number): Buffer {
  return createHmac('sha256', key).update(`GET\n${objectKey}\n${expiresAt}`).digest().subarray(0, MAC_BYTES);
}

/** Signs tickets (orchestrator side). With no node token the nodes run open and tickets are empty. */
export class TicketSigner {
  readonly #key: Buffer | undefined;
  constructor(nodeToken: string | undefined) {
    this.#key = nodeToken ? ticketKey(nodeToken) : undefined;
  }

  sign(objectKey: string, expiresAt: number): string {
    if (!this.#key) return '';
    return `${expiresAt}.${mac(this.#key, objectKey, expiresAt).toString('base64url')}`;
  }
}

/** Checks tickets (storage-node side): true when `ticket` lets its holder GET `objectKey` now. */
export function ticketChecker(nodeToken: string): (objectKey: string, ticket: string, now?: number) => boolean {
  const key = ticketKey(nodeToken);
  return (objectKey, ticket, now = Date.now()) => {
    const m = /^(\d{1,16})\.([A-Za-z0-9_-]{22})$/.exec(ticket);
    if (!m) return false;
    const expiresAt = Number(m[1]);
    if (!(expiresAt > now)) return false;
    const given = Buffer.from(m[2]!, 'base64url');
    return given.length === MAC_BYTES && timingSafeEqual(given, mac(key, objectKey, expiresAt));
  };
}
