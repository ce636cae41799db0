// Read tickets and the batched-reads wire format, as units: a ticket reads exactly one key until it
// expires and only under the node token it was signed with; a reads response is parsed answer by
// answer whatever the socket's piece sizes, and a cut-off or overlong one is an error, never a
// short object.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DcsError } from '../../src/core/errors.ts';
import { MISSING_CODE, parseReads, READ_FAILED, READ_MISSING, READ_OK, READ_REFUSED, readOutcomes, REFUSED_CODE } from '../../src/services/batch-reads.ts';
import { endFrame, FRAME_ERROR, FRAME_HEAD, jsonFrame, objectFrameHeader } from '../../src/services/data-frames.ts';
import { TicketSigner, ticketChecker, TICKET_TTL_MS } from '../../src/services/read-tickets.ts';
import { pieces, randomBytes } from '../helpers/data.ts';

describe('read tickets', () => {
  const signer = new TicketSigner('node-secret');
  const check = ticketChecker('node-secret');
  const now = Date.now();

  it('let their holder read the key they were signed for until they expire', () => {
    const t = signer.sign('chunks/ab/abc', now + TICKET_TTL_MS);
    assert.equal(check('chunks/ab/abc', t, now), true);
    assert.equal(check('chunks/ab/abc', t, now + TICKET_TTL_MS - 1), true);
    assert.equal(check('chunks/ab/abc', t, now + TICKET_TTL_MS), false, 'expired');
  });

  it('are good for no other key, under no other node token, and cannot be edited', () => {
    const t = signer.sign('chunks/ab/abc', now + 60_000);
    assert.equal(check('chunks/ab/abd', t, now), false);
    assert.equal(check('chunks/ab/abc/', t, now), false);
    assert.equal(ticketChecker('other-secret')('chunks/ab/abc', t, now), false);
    const [expiresAt, mac] = t.split('.') as [string, string];
    // A later expiry with the same MAC, a flipped MAC character, or the MAC alone.
    assert.equal(check('chunks/ab/abc', `${Number(expiresAt) + 1}.${mac}`, now), false);
    assert.equal(check('chunks/ab/abc', `${expiresAt}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`, now), false);
    for (const bad of ['', mac, `${expiresAt}.`, `.${mac}`, `${expiresAt}.${mac}=`, `${expiresAt}.${mac}${mac}`, `-1.${mac}`, `1e20.${mac}`, `${'9'.repeat(40)}.${mac}`]) {
      assert.equal(check('chunks/ab/abc', bad, now), false, JSON.stringify(bad));
    }
  });

  it('reveal nothing of the node token and differ per key', () => {
    const a = signer.sign('chunks/ab/a', now + 1000);
    const b = signer.sign('chunks/ab/b', now + 1000);
    assert.notEqual(a, b);
    assert.ok(!a.includes('node-secret') && !Buffer.from(a.split('.')[1]!, 'base64url').toString('latin1').includes('node-secret'));
  });

  it('are empty when the nodes run open (no node token)', () => {
    assert.equal(new TicketSigner(undefined).sign('chunks/ab/a', now + 1000), '');
  });
});

describe('batched reads: wire format', () => {
  const object = (data: Uint8Array): Buffer => Buffer.concat([objectFrameHeader(data.length), data]);
  const failed = (code: string, message: string): Buffer => jsonFrame(FRAME_ERROR, { code, message });

  it('parses the answers in order whatever the piece sizes, each object its own buffer', async () => {
    const a = randomBytes(70_000, 1);
    const b = randomBytes(3, 2);
    const wire = Buffer.concat([object(a), failed(MISSING_CODE, 'no object'), failed(REFUSED_CODE, 'no ticket'), failed('BACKEND_ERROR', 'disk on fire'), object(b), object(new Uint8Array(0)), endFrame()]);
    for (const sizes of [[1], [5], [4, 7, 70_001], [wire.length]]) {
      const out = await readOutcomes(pieces(new Uint8Array(wire), sizes), 6, 100_000);
      assert.deepEqual(
        out.map((o) => o.status),
        [READ_OK, READ_MISSING, READ_REFUSED, READ_FAILED, READ_OK, READ_OK],
      );
      const bytes = (o: (typeof out)[number]): Uint8Array | undefined => (o.status === READ_OK ? new Uint8Array(o.data) : undefined);
      assert.deepEqual(bytes(out[0]!), a);
      assert.deepEqual(out[3], { status: READ_FAILED, message: 'disk on fire' });
      assert.deepEqual(bytes(out[4]!), b);
      assert.deepEqual(bytes(out[5]!), new Uint8Array(0));
    }
  });

  it('refuses a response cut off, without its end, longer than asked, with a foreign frame or an object over the limit', async () => {
    const ok = object(randomBytes(1000, 3));
    const protocol = (pattern: RegExp) => (e: unknown) => e instanceof DcsError && e.code === 'PROTOCOL' && pattern.test(e.message);
    const answer = async (parts: Uint8Array[], count: number, max = 10_000): Promise<unknown> => readOutcomes(pieces(new Uint8Array(Buffer.concat(parts))), count, max);
    await assert.rejects(answer([ok.subarray(0, 999)], 1), protocol(/ended inside a frame/));
    await assert.rejects(answer([ok], 1), protocol(/cut off after 1 of 1/));
    await assert.rejects(answer([ok, endFrame()], 2), protocol(/cut off after 1 of 2/));
    await assert.rejects(answer([ok, ok, endFrame()], 1), protocol(/more objects than asked for/));
    await assert.rejects(answer([jsonFrame(FRAME_HEAD, {}), endFrame()], 1), protocol(/unexpected frame/));
    await assert.rejects(answer([Buffer.from([9, 0, 0, 0, 0, 0, 0, 0])], 1), protocol(/unknown frame type 9/));
    await assert.rejects(answer([ok, endFrame()], 1, 999), protocol(/object frame of 1000 bytes/));
  });

  it('takes 1 to 64 objects with string keys and tickets, and refuses anything else in one line', () => {
    assert.deepEqual(parseReads('{"objects":[{"key":"a"},{"key":"b","ticket":"t"}]}'), [{ key: 'a' }, { key: 'b', ticket: 't' }]);
    const many = JSON.stringify({ objects: Array.from({ length: 65 }, (_, i) => ({ key: `k${i}` })) });
    for (const bad of ['', 'null', '[]', '{"objects":[]}', '{"objects":{}}', many, '{"objects":[{"key":1}]}', '{"objects":[null]}', '{"objects":[{"key":"a","ticket":5}]}', '{"objects":["a"]}']) {
      assert.throws(() => parseReads(bad), (e: unknown) => e instanceof DcsError && e.code === 'USAGE' && !e.message.includes('\n'), bad);
    }
  });
});
