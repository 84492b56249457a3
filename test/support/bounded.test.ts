// The harness's own timeouts (jest-light-runner applies none): a hung test must fail, not hang CI.
import { bounded } from "./bounded";

test("a function that never settles fails once its timeout passes, naming what it was", async () => {
  const started = Date.now();
  await expect(bounded(() => new Promise(() => {}), 50, 'a test ("hangs")')()).rejects.toThrow(
    'Exceeded timeout of 50 ms for a test ("hangs").',
  );
  expect(Date.now() - started).toBeGreaterThanOrEqual(45);
});

test("a result or an error within the timeout passes through unchanged", async () => {
  await expect(bounded(async () => 7, 1000, "a test")()).resolves.toBe(7);
  await expect(bounded(() => Promise.reject(new Error("its own")), 1000, "a test")()).rejects.toThrow("its own");
});

test("a function taking done finishes when done is called, and fails with the error done is given", async () => {
  await expect(bounded((done) => void setTimeout(() => done!(), 10), 1000, "a test")()).resolves.toBeUndefined();
  await expect(bounded((done) => done!(new Error("via done")), 1000, "a test")()).rejects.toThrow("via done");
  await expect(bounded((done) => void done, 50, "a test")()).rejects.toThrow("Exceeded timeout of 50 ms");
});
