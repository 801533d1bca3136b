// What the tests of damaged model folders share: a folder that loadModel must refuse, with a
// ModelFileError whose message matches (src/io/model.ts names what is wrong with the folder).
import * as assert from 'uvu/assert';
import { loadModel, ModelFileError } from '../../src/index.ts';

/** Asserts that loadModel(dir) fails with a ModelFileError matching `pattern`. */
export async function refusesToLoad(dir: string, pattern: RegExp): Promise<void> {
  try {
    await loadModel(dir);
  } catch (err) {
    assert.instance(err, ModelFileError, String(err));
    assert.match((err as Error).message, pattern);
    return;
  }
  assert.unreachable(`loaded the model in ${dir}`);
}
