// Preloaded by the reproduction (uvu -r): where NEURAL_MFG_TEST_RECORD names a file, every test
// registered with uvu's `test`, and every one that passed, is appended to it as a JSON line
// ({"registered": name} / {"passed": name}), so that scripts/reproduce/unit-tests.ts can check that
// the tests named after a target (T1, T2, T9, T10) exist and ran, not only that their file passed.
const file = process.env.NEURAL_MFG_TEST_RECORD;
if (file) {
  const { appendFileSync } = require('node:fs');
  const uvu = require('uvu');
  const original = uvu.test;
  const record = (entry) => appendFileSync(file, `${JSON.stringify(entry)}\n`);
  const recorded = (name, handler) => {
    record({ registered: name });
    return original(name, async (...args) => {
      await handler(...args);
      record({ passed: name });
    });
  };
  Object.assign(recorded, original);
  recorded.skip = (name, handler) => {
    record({ registered: name, skipped: true });
    return original.skip(name, handler);
  };
  uvu.test = recorded;
}
