// Which failures send a client to another orchestrator: a call that never got its answer (the
// orchestrator is down or was killed mid-call), never one that did (a dcs error, a refusal).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Code, ConnectError } from '@connectrpc/connect';
import { isUnreachable } from '../../src/repository/remote-endpoints.ts';

describe('isUnreachable', () => {
  it('takes a cut connection, however connect-node reports it, for an orchestrator to leave', () => {
    assert.equal(isUnreachable(new ConnectError('connect ECONNREFUSED 127.0.0.1:7070', Code.Unavailable)), true);
    assert.equal(isUnreachable(new ConnectError('read ECONNRESET', Code.Aborted)), true);
    assert.equal(isUnreachable(new ConnectError('socket hang up', Code.Unknown)), true);
    // A SIGKILLed orchestrator's stream reset: seen once in the two-orchestrator kill test.
    assert.equal(isUnreachable(new ConnectError('http/2 stream closed with error code CANCEL (0x8)', Code.Canceled)), true);
  });

  it('keeps answers: dcs errors, refusals, and a cancel without a cut connection', () => {
    const backendDown = new ConnectError('not enough backends', Code.Unavailable, { 'dcs-error': 'INSUFFICIENT_BACKENDS' });
    assert.equal(isUnreachable(backendDown), false);
    assert.equal(isUnreachable(new ConnectError('wrong token', Code.Unauthenticated)), false);
    assert.equal(isUnreachable(new ConnectError('the operation was aborted', Code.Canceled)), false);
    const draining = new ConnectError('shutting down', Code.Unavailable, { 'dcs-error': 'SHUTTING_DOWN' });
    assert.equal(isUnreachable(draining), true);
  });
});
