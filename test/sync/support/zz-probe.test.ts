import { it } from 'vitest';
import { startHarness } from '../harness.js';
import { LibraryClients } from './libraryClients.js';
import { runRandomScenario, describeFailure } from './randomScenario.js';
import { readDisk } from './libraryDisk.js';
it('probe', async () => {
  const h = await startHarness();
  const c = await LibraryClients.open(h, ['A','B','C']);
  const r = await runRandomScenario(h, c, 136);
  console.log(describeFailure(r));
  const eng = (c as any).engines.get('A');
  const lib = eng.index.libraries.list()[0];
  const st = eng.index.loadState(lib.libraryId);
  console.log(JSON.stringify({remote:[...st.remote.keys()], local:[...st.local.keys()], synced:[...st.synced.keys()]}));
  console.log(readDisk(lib.localRoot));
  await c.close(); await h.stop();
}, 60000);
