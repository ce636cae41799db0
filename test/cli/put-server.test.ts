// `dcs put --server`: once the orchestrator has committed a version, the command succeeds even if
// the look-up of its stored size fails afterwards (an orchestrator stopping after it finished the
// upload in flight, as a SIGTERM'd container does): reporting a failure would make the user store
// it again.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { Code, ConnectError } from '@connectrpc/connect';
import { initRepository } from '../../src/repository/init-repository.ts';
import { openRepository } from '../../src/repository/local-repository.ts';
import type { LocalRepository } from '../../src/repository/repository.ts';
import { orchestratorServiceImpl } from '../../src/server/grpc-orchestrator.ts';
import { OrchestratorService } from '../../src/services/gen/dcs/v1/orchestrator_pb.js';
import { listen, type RunningListener } from '../../src/services/listener.ts';
import { runCli, tempDir } from '../helpers/cli.ts';
import { textBytes } from '../helpers/data.ts';
import { SMALL_CHUNKS } from '../helpers/engine.ts';

let dir: string;
let cleanup: () => Promise<void>;
let repo: LocalRepository;
let server: RunningListener;

before(async () => {
  ({ dir, cleanup } = await tempDir('dcs-put-server-'));
  await initRepository(join(dir, 'repo'), { chunking: SMALL_CHUNKS });
  repo = await openRepository(join(dir, 'repo'), { workers: 0 });
  const impl = orchestratorServiceImpl(repo);
  server = await listen({
    host: '127.0.0.1',
    port: 0,
    routes: (r) =>
      r.service(OrchestratorService, {
        ...impl,
        stat: () => {
          throw new ConnectError('connect ECONNREFUSED', Code.Unavailable);
        },
      }),
  });
  await writeFile(join(dir, 'a.txt'), textBytes(50_000));
});

after(async () => {
  await server.close(1000);
  await repo.close();
  await cleanup();
});

it('succeeds with a warning when the stored size cannot be read after the commit', async () => {
  const out = await runCli(['put', 'a.txt', '--server', server.url], { cwd: dir });
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stderr, /^dcs: warning: stored a\.txt v1, but could not read its stored size: .*ECONNREFUSED/m);
  assert.match(out.stdout, /^a\.txt {2}v1 {2}48\.8 KiB {2}\(/m);
  assert.equal((await repo.stat('a.txt')).version.size, 50_000);
});

it('says so in --json with null sizes, and stays silent with -q', async () => {
  const json = await runCli(['put', 'a.txt', '--server', server.url, '--json'], { cwd: dir });
  assert.equal(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout) as { version: number; storedSize: number | null; ratio: number | null };
  assert.deepEqual([r.version, r.storedSize, r.ratio], [2, null, null]);
  const quiet = await runCli(['put', 'a.txt', '--server', server.url, '-q'], { cwd: dir });
  assert.deepEqual([quiet.code, quiet.stderr], [0, '']);
});
