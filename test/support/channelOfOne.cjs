// A tinypool channel for one task (test/support/runner.mjs says why): it forwards its child's
// question for Jest's configuration to jest-light-runner's shared channel with its own listener only.
// CommonJS, so that the compiled tests can require it on any Node version the project supports.
const ASK = "jest-light-runner-get-worker-data";

function channelOfOne(shared) {
  let listener;
  return {
    onMessage(l) {
      listener = l;
    },
    postMessage(message) {
      if (message !== ASK || !listener) return;
      shared.onMessage(listener);
      shared.postMessage(message);
    },
  };
}

module.exports = { ASK, channelOfOne };
